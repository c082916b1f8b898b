/** The CDK app: reads the deployment config from context and creates the stacks. */
import { App } from 'aws-cdk-lib';
import { applyChecks, applyControlTower, buildGatehouse, CONTEXT_KEY, DeploymentConfigError, loadDeploymentConfig, type DeploymentConfig } from '../lib';

const app = new App();
let config: DeploymentConfig;
try {
  config = loadDeploymentConfig(app.node.tryGetContext(CONTEXT_KEY));
} catch (err) {
  // A config mistake is the user's to fix: show the problems, not a stack trace.
  if (!(err instanceof DeploymentConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
const stacks = buildGatehouse(app, config);
applyChecks(app);
// AWS Control Tower's proactive controls; the exemptions (by profile and explicit opt-in) are listed in infra/lib/control-tower.ts.
applyControlTower(app, stacks, config);
