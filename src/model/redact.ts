// Secrets that must never be printed or stored: private keys (PEM blocks and their DER bodies), service-account
// key JSON (`private_key`, `private_key_id`), JWTs (KSA tokens, ID tokens), bearer and Google access tokens.
// Partial ones too (a PEM block without its END line, a JWT cut after its header, a key body without its
// BEGIN line): text is redacted before anything cuts it to size, so a cut can never let a secret's body past,
// but the values themselves may already be partial.
//
// Used where secrets could enter (the live collector redacts every value it keeps) and where text leaves
// (every renderer, error bodies before they are shortened). Pure: no I/O.

/** What a redacted secret becomes: its first characters (to recognise the kind) and a marker, never quotes. */
const marker = (match: string, keep: number): string => `${match.slice(0, keep)}…[redacted]`;

interface Rule {
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

/** Base64 text as it appears inside PEM blocks: letters, digits, `+/=`, whitespace and `\n` escapes of JSON. */
const PEM_BODY = String.raw`(?:[A-Za-z0-9+/=\s]|\\[nr])*`;

const RULES: readonly Rule[] = [
  // Bearer credentials in headers or logs: the scheme stays, the credential goes. First: the rules
  // below eat letters up to a space, so a `Bearer` glued to the end of another secret would lose its scheme. Not
  // anchored (`__proto__Bearer`); a credential stops where another `Bearer ` starts (glued repeats).
  {
    pattern: /(Bearer)\s+(?:(?!Bearer\s)[A-Za-z0-9._~+/-]){8,}=*/gi,
    replace: (_m, scheme: string) => `${scheme} …[redacted]`,
  },
  // A whole PEM private key, or one whose END line is missing (cut, or pasted in part).
  {
    pattern: new RegExp(
      String.raw`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|${PEM_BODY})`,
      'g',
    ),
    replace: () => '-----BEGIN PRIVATE KEY-----…[redacted]',
  },
  // Service-account key JSON: the key and its id, whatever they hold, closed or cut; also when the JSON sits
  // inside another JSON string (quotes escaped as \"), where the value runs to the end of that string.
  {
    pattern: /(\\?"private_key(?:_id)?\\?"\s*:\s*\\?")((?:[^"\\]|\\.)*)("?)/g,
    replace: (_m, open: string, value: string, close: string) => `${open}${value === '' ? '' : '…[redacted]'}${close}`,
  },
  // Google OAuth access tokens. Not anchored, and before the key-body and JWT rules, whose letters would eat a
  // `ya29` glued to their end.
  { pattern: /ya29\.[A-Za-z0-9_.-]{4,}/g, replace: (m) => marker(m, 5) },
  // A DER private key (or any long DER structure) in base64 without its BEGIN line: "MII" is a SEQUENCE with
  // a two-byte length, what every RSA and PKCS#8 key body starts with. Not anchored: a value may glue text to it.
  { pattern: /MII[A-Za-z0-9+/]{60,}={0,2}/g, replace: (m) => marker(m, 3) },
  // JWTs, and pieces of them: a base64url JSON header (`eyJ`) with or without its claims and signature. Not
  // anchored: pasted logs glue tokens to what precedes them; and every further dotted segment goes too, since
  // JWTs glued one to another (`…signatureeyJ…`) shift where each seems to end.
  { pattern: /eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)*/g, replace: (m) => marker(m, 6) },
];

/**
 * A quick test before the rules run: most text holds none of these, and every match of a rule holds one.
 * Each rule's pattern has a literal that any match of it contains, with the rule's own case sensitivity:
 * `Bearer` (the only rule with the `i` flag, so any case: `[Bb][Ee]…`), `PRIVATE KEY` (inside the PEM rule's
 * BEGIN line), `private_key` (the key JSON rule; `private_key_id` contains it), `ya29.`, `MII`, `eyJ`. So when
 * none is in the text, no rule can match and the text is returned as it is. Written without the `i` flag:
 * a case-insensitive alternation is about twice as slow to scan, and only `Bearer` needs it.
 */
const SUSPECT = /MII|eyJ|ya29\.|PRIVATE KEY|private_key|[Bb][Ee][Aa][Rr][Ee][Rr]/;

/**
 * The shortest text any rule matches: `ya29.` and 4 more characters (9). The others are longer: `eyJ` and 8
 * (11), `Bearer`, a space and 8 (15), `"private_key":"` (15), the PEM BEGIN line (27), `MII` and 60 (63).
 * Most strings a report shows (ids, names, statuses) are shorter, and skip even the scan.
 */
const SHORTEST_SECRET = 9;

/** Whether some rule may match `text`: false only when none can (exported for the tests that prove it). */
export const mayHoldSecret = (text: string): boolean => text.length >= SHORTEST_SECRET && SUSPECT.test(text);

/** The rules' patterns, in the order they run (for those tests). */
export const SECRET_PATTERNS: readonly RegExp[] = RULES.map((rule) => rule.pattern);

/** `text` with every secret it holds (whole or in part) replaced by a marker. */
export function redactSecrets(text: string): string {
  if (!mayHoldSecret(text)) return text;
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace);
  return out;
}

/** Whether `text` holds something `redactSecrets` would replace. */
export const holdsSecret = (text: string): boolean => redactSecrets(text) !== text;
