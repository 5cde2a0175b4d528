/** A manifest, whatever tool wrote it: original name -> hashed name, relative to the mount root. */
export interface Manifest {
  /** Which format it was read as. */
  format: ManifestFormat;
  /** The manifest file itself (absolute), never served. */
  file: string;
  /** Original (logical) name -> hashed name, both relative to the root, no leading slash. */
  names: Map<string, string>;
  /** Every hashed name the manifest lists: served with immutable caching. */
  hashed: Set<string>;
}

export type ManifestFormat = 'django' | 'vite' | 'flat' | 'sprockets';
export const MANIFEST_FORMATS: readonly ManifestFormat[] = ['django', 'vite', 'flat', 'sprockets'];
