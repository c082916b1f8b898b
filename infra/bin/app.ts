/** The CDK app: reads the deployment config from context and creates the stacks. */
import { App } from 'aws-cdk-lib';
import { applyChecks, buildGatehouse, CONTEXT_KEY, loadDeploymentConfig } from '../lib';

const app = new App();
const config = loadDeploymentConfig(app.node.tryGetContext(CONTEXT_KEY));
buildGatehouse(app, config);
applyChecks(app);
