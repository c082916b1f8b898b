import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { CONTEXT_KEY, DeploymentConfigError, loadDeploymentConfig } from '../lib/config';
import type { Strategy } from './deploy';
import { configError, ReleaseError } from './errors';

/** The part of the deployment config (`cdk.json` → `context.gatehouse`) the release command reads. */
export interface ReleaseConfig {
  readonly primaryRegion: string;
  readonly secondaryRegions: readonly string[];
  readonly stackPrefix: string;
  /** Traffic shifting when `--strategy` is not given (the config's `trafficShifting`). */
  readonly defaultStrategy: Strategy;
}

export const DEFAULT_CDK_JSON = 'cdk.json';

/** Regions in release order: the primary first, then the secondaries as listed. */
export function orderedRegions(config: ReleaseConfig): string[] {
  return [config.primaryRegion, ...config.secondaryRegions.filter((r) => r !== config.primaryRegion)];
}

/** The regional stack name agreed in the infra contract: `${stackPrefix}-${region}`. */
export function regionalStackName(config: ReleaseConfig, region: string): string {
  return `${config.stackPrefix}-${region}`;
}

/** Reads the deployment config from cdk.json through the CDK kit's own loader, so both read it alike. */
export function loadReleaseConfig(cdkJsonPath: string = DEFAULT_CDK_JSON): ReleaseConfig {
  const path = resolve(cdkJsonPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw configError(`${path} could not be read.`, 'run the command from the repository root, where cdk.json lives.');
  }
  let document: { context?: Record<string, unknown> } | null;
  try {
    document = JSON.parse(text) as typeof document;
  } catch (err) {
    throw configError(`${path} is not valid JSON (${(err as Error).message}).`, 'correct the JSON syntax.');
  }
  try {
    const config = loadDeploymentConfig(document?.context?.[CONTEXT_KEY], `${path} context "${CONTEXT_KEY}"`);
    return {
      primaryRegion: config.primaryRegion,
      secondaryRegions: config.secondaryRegions,
      stackPrefix: config.stackPrefix,
      defaultStrategy: config.trafficShifting,
    };
  } catch (err) {
    if (err instanceof DeploymentConfigError) throw new ReleaseError(err.message);
    throw err;
  }
}
