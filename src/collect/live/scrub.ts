// What may be secret never leaves the API answer: `collect` (and a live diagnosis, which reads the same
// in-memory bundle) keeps only the fields the checks read, by allowlist (src/collect/bundle/allowlist.ts):
// no container command or args, no env values (but a GOOGLE_APPLICATION_CREDENTIALS path), no annotations
// but the Workload Identity one and its near misses, no last-applied-configuration anywhere, no Secret data;
// and every string kept is redacted of keys and tokens.

export { SCRUBBED, allowlistedFile, allowlistedK8sFile } from '../bundle/allowlist.js';
