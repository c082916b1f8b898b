import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeAwsCustomResource } from './acknowledge';

/** Where the initial gateway image comes from. */
export type InitialImage =
  | { readonly imageUri: string }
  | { readonly directory: string; readonly file?: string; readonly exclude?: readonly string[] };

/** Properties of a {@link ReleasedImage}. */
export interface ReleasedImageProps {
  /** The SSM String parameter that names the released image (infra contract: `ImageParameterName`). */
  readonly parameterName: string;
  /**
   * The image the parameter starts with on the first deploy: an image URI, or a Docker build
   * context (`directory`, with `file` relative to it) that CDK builds and publishes as an asset
   * when the stack is deployed (synth needs no Docker).
   */
  readonly initialImage: InitialImage;
}

/**
 * The released-image parameter of a region. It is created with the initial image if it does not
 * exist, and never overwritten afterwards: from then on only the release command writes it. Stacks
 * read it at deploy time with `ReleasedImage.atDeployTime()`, so `cdk deploy` always runs the image
 * that was released last and never rolls a release back.
 */
export class ReleasedImage extends Construct {
  /** The image URI the parameter is seeded with (an asset URI, or the given URI). */
  readonly initialImageUri: string;

  /** The released image, resolved by CloudFormation when the stack is deployed. */
  static atDeployTime(scope: Construct, parameterName: string): ecs.ContainerImage {
    return ecs.ContainerImage.fromRegistry(ssm.StringParameter.valueForStringParameter(scope, parameterName));
  }

  constructor(scope: Construct, id: string, props: ReleasedImageProps) {
    super(scope, id);
    if (!props.parameterName.startsWith('/'))
      throw new Error(`ReleasedImage: parameterName must be a path starting with "/", got "${props.parameterName}".`);
    const initial = props.initialImage;
    if ('imageUri' in initial) {
      if ('directory' in initial) throw new Error('ReleasedImage: give either initialImage.imageUri or initialImage.directory, not both.');
      this.initialImageUri = initial.imageUri;
    } else {
      const file = initial.file ?? 'Dockerfile';
      if (!fs.existsSync(path.join(initial.directory, file)))
        throw new Error(
          `ReleasedImage: ${path.join(initial.directory, file)} does not exist; build context and Dockerfile are needed for the initial image (or give initialImage.imageUri).`,
        );
      const asset = new ecrAssets.DockerImageAsset(this, 'Asset', {
        directory: initial.directory,
        file,
        exclude: initial.exclude ? [...initial.exclude] : undefined,
        platform: ecrAssets.Platform.LINUX_AMD64,
      });
      this.initialImageUri = asset.imageUri;
    }

    const stack = Stack.of(this);
    const parameterArn = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: props.parameterName.slice(1) });
    const put: cr.AwsSdkCall = {
      service: 'SSM',
      action: 'PutParameter',
      parameters: {
        Name: props.parameterName,
        Value: this.initialImageUri,
        Type: 'String',
        Overwrite: false,
        Description: 'Gateway image released in this region; written by the release command (npm run release).',
      },
      physicalResourceId: cr.PhysicalResourceId.of(props.parameterName),
      // Already there: a release owns it now, and it must not be reset.
      ignoreErrorCodesMatching: 'ParameterAlreadyExists',
    };
    const seed = new cr.AwsCustomResource(this, 'Seed', {
      onCreate: put,
      onUpdate: put,
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [parameterArn] }),
      installLatestAwsSdk: false,
    });
    acknowledgeAwsCustomResource(seed);
  }
}
