// The image a probe pod runs by default: any image with node 18+ runs the single-file probe. Kept apart
// from the manifest builder so that the CLI can show it in `--help` without loading YAML.
export const DEFAULT_PROBE_IMAGE = 'node:20-alpine';
