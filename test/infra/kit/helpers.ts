/** Shared scaffolding for the CDK kit tests: apps and stacks that synthesise offline and fast. */
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as path from 'node:path';

export const ACCOUNT = '111111111111';

/** A stack whose availability zones are known without a lookup, like the kit's stacks. */
export class TestStack extends Stack {
  override get availabilityZones(): string[] {
    return ['a', 'b', 'c'].map((z) => `${this.region}${z}`);
  }
}

/** A fresh app (template validation off: construct tests check their own resources). */
export function testApp(): App {
  return new App({ builtinCloudFormationValidation: false });
}

/** A stack in a fresh app, in `region`. */
export function testStack(id = 'Test', region = 'us-east-1', props: StackProps = {}): TestStack {
  return new TestStack(testApp(), id, { env: { account: ACCOUNT, region }, ...props });
}

/** The zones of a region, as the kit's config fills them. */
export const zonesOf = (region: string): string[] => ['a', 'b', 'c'].map((z) => `${region}${z}`);

/** A Docker build context for tests (no Docker needed: synth only fingerprints it). */
export const FIXTURE_IMAGE_DIR = path.join(__dirname, 'fixtures', 'image');

/** The template with volatile values (asset hashes) masked, for snapshots. */
export function normalisedTemplate(template: Template): unknown {
  const text = JSON.stringify(template.toJSON())
    .replace(/[0-9a-f]{64}/g, '<asset-hash>')
    .replace(/"Value":"\d+\.\d+\.\d+"/g, '"Value":"<version>"');
  return JSON.parse(text);
}

/** Resources of one type, as a list of [logicalId, resource]. */
export function resourcesOf(template: Template, type: string): Array<[string, { Properties?: Record<string, unknown>; [k: string]: unknown }]> {
  return Object.entries(template.findResources(type));
}

/** A prod deployment with a domain, certificates per region (and the admin listener's) and the web ACL: the kit's strictest shape. */
export const PROD_DEPLOYMENT = {
  account: '222222222222',
  primaryRegion: 'eu-west-1',
  secondaryRegions: ['eu-central-1'],
  stackPrefix: 'Edge',
  profile: 'prod',
  domain: { zoneName: 'example.com', hostedZoneId: 'Z0123456789ABC', recordName: 'api.example.com' },
  certificateArns: {
    'eu-west-1': 'arn:aws:acm:eu-west-1:222222222222:certificate/11111111-2222-3333-4444-555555555555',
    'eu-central-1': 'arn:aws:acm:eu-central-1:222222222222:certificate/66666666-7777-8888-9999-000000000000',
  },
  adminCertificateArn: 'arn:aws:acm:eu-west-1:222222222222:certificate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  waf: true,
};
