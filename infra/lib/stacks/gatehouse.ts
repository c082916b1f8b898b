import * as path from 'node:path';
import { Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { deployedRegions, type DeploymentConfig } from '../config';
import type { InitialImage } from '../constructs';
import { readConfigFile } from '../../../gateway/src/sync/file-source';
import { validateConfig } from '../../../gateway/src/config/validate';
import { formatProblems } from '../../../gateway/src/core/errors';
import { createPluginRegistry } from '../../../gateway/src/plugins';
import { baseStackName, regionalStackName, repositoryUri } from '../names';
import { RegionBaseStack } from './region-base-stack';
import { RegionalStack } from './regional-stack';

/** The repository root: the gateway image's build context. */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Paths kept out of the image build context on top of `.dockerignore`: gateway/Dockerfile copies only
 * the package files, the tsconfigs and `gateway/`, so tests, docs and the kit itself must not change
 * the asset hash (a new hash means a rebuild and publish on the next deploy).
 */
export const IMAGE_CONTEXT_EXCLUDES: readonly string[] = [
  'node_modules',
  'cdk.out',
  '.git',
  'coverage',
  'dist',
  '.gatehouse',
  'bench',
  'docs',
  'infra',
  'test',
  '.ci',
  'cdk.json',
  'cdk.context.json',
  '*.md',
];

/** The stacks of one deployment, by region. */
export interface GatehouseStacks {
  readonly base: Readonly<Record<string, RegionBaseStack>>;
  readonly regional: Readonly<Record<string, RegionalStack>>;
}

/** Where a region's first image comes from: the config's `image`, else the kit's repository in that region at `initialImageTag`. */
export function initialImageFor(config: DeploymentConfig, region: string): InitialImage {
  return { imageUri: config.image ?? `${repositoryUri(config.stackPrefix, config.account, region)}:${config.initialImageTag}` };
}

/** The build context of the gateway image: `gateway/Dockerfile` at the repository root (custom stacks may build it as an asset). */
export function gatewayImageBuild(repoRoot = REPO_ROOT): InitialImage {
  return { directory: repoRoot, file: 'gateway/Dockerfile', exclude: IMAGE_CONTEXT_EXCLUDES };
}

/**
 * The initial gateway config (`initialConfig`, relative to the repository root) as JSON text,
 * validated like the control plane will, so a bad file stops synth instead of the first deploy.
 */
export function initialConfigFor(config: DeploymentConfig, repoRoot = REPO_ROOT): string {
  const file = path.resolve(repoRoot, config.initialConfig);
  const { document } = readConfigFile(file);
  const checked = validateConfig(document, createPluginRegistry().checker);
  if (!checked.ok) throw new Error(`initialConfig ${config.initialConfig} is not a valid gateway config:\n${formatProblems(checked.problems)}`);
  return JSON.stringify(document);
}

/**
 * Creates every stack of a deployment and orders them: the secondaries' base stacks (replication
 * destinations) before the primary's, each base stack before its regional stack, and the primary
 * regional stack (database, replicated secret) before the secondary ones.
 */
export function buildGatehouse(scope: Construct, config: DeploymentConfig, initialImage?: InitialImage): GatehouseStacks {
  const initialConfig = initialConfigFor(config);
  const base: Record<string, RegionBaseStack> = {};
  const regional: Record<string, RegionalStack> = {};
  for (const region of deployedRegions(config)) {
    const env = { account: config.account, region };
    base[region] = new RegionBaseStack(scope, baseStackName(config.stackPrefix, region), {
      env,
      config,
      initialImage: initialImage ?? initialImageFor(config, region),
      description: `Gatehouse ${region}: gateway image repository, backup bucket and released-image parameter`,
      terminationProtection: config.profile === 'prod',
    });
    regional[region] = new RegionalStack(scope, regionalStackName(config.stackPrefix, region), {
      env,
      config,
      backup: base[region].backup,
      initialConfig,
      description: `Gatehouse ${region}: ${region === config.primaryRegion ? 'primary' : 'secondary'} region`,
      terminationProtection: config.profile === 'prod',
    });
    regional[region].addStackDependency(base[region]);
  }
  for (const region of config.secondaryRegions) {
    base[config.primaryRegion].addStackDependency(base[region], 'its backup bucket is a replication destination');
    regional[region].addStackDependency(regional[config.primaryRegion], 'its read replica and credentials come from the primary');
  }
  Tags.of(scope).add('gatehouse:deployment', config.stackPrefix);
  Tags.of(scope).add('gatehouse:profile', config.profile);
  return { base, regional };
}
