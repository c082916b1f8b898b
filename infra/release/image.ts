import { usageError } from './errors';

/** What `--image` asked for: a full image reference, or a tag/digest to apply to each region's repository. */
export type ImageRequest =
  | { readonly kind: 'uri'; readonly uri: string }
  | { readonly kind: 'tag'; readonly tag: string }
  | { readonly kind: 'digest'; readonly digest: string };

// Docker's grammar for a tag; a tag never contains "/" or ":", which is how a bare tag is told apart.
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const IMAGE_HELP =
  'give a full image URI with a tag or digest (e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/gatehouse:1.4.0) or only a tag (e.g. 1.4.0), which is applied to the repository each region runs now.';

/** Parses the `--image` argument; a URI must name its tag or digest so a release is reproducible. */
export function parseImageRequest(value: string | undefined): ImageRequest {
  if (value === undefined || value.trim() === '') throw usageError('--image', 'an image is required.', IMAGE_HELP);
  const image = value.trim();
  if (DIGEST.test(image)) return { kind: 'digest', digest: image };
  if (TAG.test(image)) return { kind: 'tag', tag: image };
  if (/\s/.test(image)) throw usageError('--image', `"${image}" contains spaces.`, IMAGE_HELP);
  const [name, digest] = image.split('@');
  if (digest !== undefined) {
    if (!DIGEST.test(digest) || !name) throw usageError('--image', `"${image}" has a malformed digest.`, 'write the digest as @sha256:<64 hex digits>.');
    return { kind: 'uri', uri: image };
  }
  const tag = tagOf(image);
  if (tag === undefined) throw usageError('--image', `"${image}" has no tag or digest.`, `add one, e.g. "${image}:1.4.0"; "latest" is not accepted implicitly because a release must name one build.`);
  if (!TAG.test(tag) || repositoryOf(image) === '') throw usageError('--image', `"${image}" is not a valid image reference.`, IMAGE_HELP);
  return { kind: 'uri', uri: image };
}

/** The repository part of an image reference (registry and path, without tag or digest). */
export function repositoryOf(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(0, at);
  const tag = tagOf(image);
  return tag === undefined ? image : image.slice(0, image.length - tag.length - 1);
}

// The tag is after the last ":" of the last path segment; a ":" before a "/" is a registry port.
function tagOf(image: string): string | undefined {
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  return colon >= 0 ? lastSegment.slice(colon + 1) : undefined;
}

/** The full image URI a region releases: a tag or digest resolves against the image it runs now. */
export function resolveImage(request: ImageRequest, currentImage: string): string {
  switch (request.kind) {
    case 'uri':
      return request.uri;
    case 'tag':
      return `${repositoryOf(currentImage)}:${request.tag}`;
    case 'digest':
      return `${repositoryOf(currentImage)}@${request.digest}`;
  }
}

/** How the request reads in the plan. */
export function describeImageRequest(request: ImageRequest): string {
  return request.kind === 'uri' ? request.uri : request.kind === 'tag' ? `tag ${request.tag}` : `digest ${request.digest}`;
}
