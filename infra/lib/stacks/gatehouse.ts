import * as path from 'node:path';
import { Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { deployedRegions, type DeploymentConfig } from '../config';
import type { InitialImage } from '../constructs';
import { baseStackName, regionalStackName } from '../names';
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

/** Where the first image comes from: the config's `image`, else `gateway/Dockerfile` built from the repository root. */
export function initialImageFor(config: DeploymentConfig, repoRoot = REPO_ROOT): InitialImage {
  return config.image ? { imageUri: config.image } : { directory: repoRoot, file: 'gateway/Dockerfile', exclude: IMAGE_CONTEXT_EXCLUDES };
}

/**
 * Creates every stack of a deployment and orders them: the secondaries' base stacks (replication
 * destinations) before the primary's, each base stack before its regional stack, and the primary
 * regional stack (database, replicated secret) before the secondary ones.
 */
export function buildGatehouse(scope: Construct, config: DeploymentConfig, initialImage: InitialImage = initialImageFor(config)): GatehouseStacks {
  const base: Record<string, RegionBaseStack> = {};
  const regional: Record<string, RegionalStack> = {};
  for (const region of deployedRegions(config)) {
    const env = { account: config.account, region };
    base[region] = new RegionBaseStack(scope, baseStackName(config.stackPrefix, region), {
      env,
      config,
      initialImage,
      description: `Gatehouse ${region}: backup bucket and released-image parameter`,
      terminationProtection: config.profile === 'prod',
    });
    regional[region] = new RegionalStack(scope, regionalStackName(config.stackPrefix, region), {
      env,
      config,
      backup: base[region].backup,
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
