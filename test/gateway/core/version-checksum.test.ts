/**
 * The version checksum's two forms and its one verifier: `sum256:` (the digest, what versions written
 * now record) and `sha256:` of the canonical text (what versions stored before recorded).
 */
import { createHash } from 'node:crypto';
import { canonicalJson, configChecksum } from '../../../gateway/src/core/checksum';
import { DigestSum, documentDigest, resourceHash } from '../../../gateway/src/core/resource-digest';
import { actualChecksum, actualChecksumInSlices, verifyChecksum } from '../../../gateway/src/core/version-checksum';
import { documentWithRoutes } from '../../helpers/control-plane/documents';

const doc = documentWithRoutes(3);
const tampered = () => {
  const d = documentWithRoutes(3);
  d.routes[1]!.paths = ['/evil'];
  return d;
};

describe('version checksum', () => {
  it('hashes a resource to the same bytes the change rows already stored hold', () => {
    const text = canonicalJson(doc.routes[0]);
    const stored = 'sha256:' + createHash('sha256').update('route').update('\0').update('r0').update('\0').update(text).digest('hex');
    expect(resourceHash('route', 'r0', text)).toBe(stored);
    expect(resourceHash('route', 'r0', 'ünïcode ✓')).toBe('sha256:' + createHash('sha256').update('route\0r0\0ünïcode ✓').digest('hex'));
  });

  it('refuses to add something that is not a sha256 resource hash to a digest', () => {
    expect(() => new DigestSum().add('sha256:x')).toThrow('not a sha256 resource hash: sha256:x');
    expect(() => new DigestSum().add('sha256:' + 'g'.repeat(64))).toThrow('not a sha256 resource hash');
    expect(() => new DigestSum().add('sha256:' + 'a'.repeat(66))).toThrow('not a sha256 resource hash');
  });

  it('verifies a document against either form, and refuses it tampered in either', () => {
    for (const checksum of [documentDigest(doc), configChecksum(doc)]) {
      expect(verifyChecksum(doc, checksum)).toBe(true);
      expect(verifyChecksum(tampered(), checksum)).toBe(false);
    }
    expect(actualChecksum({ checksum: documentDigest(doc), document: tampered() })).toBe(documentDigest(tampered()));
    expect(actualChecksum({ checksum: configChecksum(doc), document: tampered() })).toBe(configChecksum(tampered()));
  });

  it('refuses a checksum of neither form, and a sum256 checksum over something that is not a document', () => {
    expect(verifyChecksum(doc, 'md5:' + 'a'.repeat(32))).toBe(false);
    expect(verifyChecksum(doc, documentDigest(doc).replace('sum256:', 'SUM256:'))).toBe(false);
    expect(actualChecksum({ checksum: documentDigest(doc), document: { routes: 'all' } })).toBe('sum256:(not a well-formed config document)');
    expect(verifyChecksum([], documentDigest({ consumers: [], plugins: {}, routes: [], upstreams: [] }))).toBe(false);
  });

  it('uses the kept canonical text for a sha256 checksum, and the content when the text was re-serialised', () => {
    const text = canonicalJson(doc);
    expect(verifyChecksum(doc, configChecksum(doc), text)).toBe(true);
    // A jsonb column returns other text for the same content.
    expect(verifyChecksum(doc, configChecksum(doc), JSON.stringify(doc, null, 1))).toBe(true);
    expect(verifyChecksum(tampered(), configChecksum(doc), text.replace('"/r1"', '"/evil"'))).toBe(false);
  });

  it('gives the same answer in slices as at once', async () => {
    const big = documentWithRoutes(2_000);
    for (const checksum of [documentDigest(big), configChecksum(big)]) {
      const actual = await actualChecksumInSlices({ checksum, document: big });
      expect(actual).toBe(checksum);
      expect(actual).toBe(actualChecksum({ checksum, document: big }));
    }
    expect(await actualChecksumInSlices({ checksum: documentDigest(doc), document: tampered() })).toBe(documentDigest(tampered()));
  });
});
