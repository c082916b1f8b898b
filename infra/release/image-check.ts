import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';

import { configError } from './errors';
import { repositoryOf } from './image';

// A private ECR image: <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest].
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/(.+)$/;

/** The registry, region and repository of a private ECR image, or undefined for any other registry. */
export function ecrImageOf(image: string): { registryId: string; region: string; repositoryName: string } | undefined {
  const m = ECR_IMAGE.exec(repositoryOf(image));
  return m ? { registryId: m[1] as string, region: m[2] as string, repositoryName: m[3] as string } : undefined;
}

/**
 * The image a region runs for `image`: an image of the kit's repository in another region's registry
 * becomes the same image in this region's replica (tasks pull only from their own region's registry,
 * and a region must not depend on the primary's). Other images are unchanged.
 */
export function regionalImage(image: string, region: string, kitRepository: string): string {
  const ecr = ecrImageOf(image);
  if (!ecr || ecr.region === region || ecr.repositoryName !== kitRepository) return image;
  return image.replace(`.dkr.ecr.${ecr.region}.amazonaws.com/`, `.dkr.ecr.${region}.amazonaws.com/`);
}

/** Why `image` cannot run in `region`, or undefined when it can (DescribeImages in the image's registry). */
export async function imageProblem(ecr: ECRClient, image: string, region: string): Promise<string | undefined> {
  const at = ecrImageOf(image);
  if (!at) return undefined;
  if (at.region !== region) return `${image} is in the ${at.region} registry; tasks in ${region} pull only from ${region}'s`;
  const reference = image.slice(repositoryOf(image).length);
  const imageId = reference.startsWith('@') ? { imageDigest: reference.slice(1) } : { imageTag: reference.slice(1) };
  try {
    const { imageDetails } = await ecr.send(new DescribeImagesCommand({ registryId: at.registryId, repositoryName: at.repositoryName, imageIds: [imageId] }));
    return imageDetails && imageDetails.length > 0 ? undefined : `${image} does not exist in ${region}`;
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') return `${image} does not exist in ${region} (${name})`;
    throw err;
  }
}

/** Refuses the release before wave 1 unless every region's image exists in that region's registry. */
export async function checkImages(images: ReadonlyArray<{ region: string; image: string; ecr: ECRClient }>): Promise<void> {
  const problems = (await Promise.all(images.map((i) => imageProblem(i.ecr, i.image, i.region)))).filter((p): p is string => p !== undefined);
  if (problems.length > 0)
    throw configError(
      `The image cannot be released: ${problems.join('; ')}.`,
      'push it to the primary region\'s gateway repository and wait for ECR replication to copy it to every secondary region (docs/RELEASE.md), then release again.',
    );
}
