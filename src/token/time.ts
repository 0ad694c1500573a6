// Human times for token claims: NumericDate seconds as UTC text and as an age relative to "now".

/** `2026-11-28 17:00:00 UTC` */
export function formatEpoch(seconds: number): string {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return `${seconds} (not a valid time)`;
  return `${date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')} UTC`;
}

/** A duration as its two largest units: `3 d 4 h`, `1 h 5 min`, `42 s`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.round(Math.abs(totalSeconds));
  const units: readonly (readonly [number, string])[] = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const first = units.findIndex(([size]) => s >= size);
  const unit = units[first];
  if (unit === undefined) return '0 s';
  const n1 = Math.floor(s / unit[0]);
  const next = units[first + 1];
  const n2 = next ? Math.floor((s - n1 * unit[0]) / next[0]) : 0;
  return next && n2 > 0 ? `${n1} ${unit[1]} ${n2} ${next[1]}` : `${n1} ${unit[1]}`;
}

/** `in 42 min` or `3 h 5 min ago` (or `now`), from `now` to `seconds`. */
export function relativeTo(seconds: number, now: Date): string {
  const delta = seconds - now.getTime() / 1000;
  if (Math.abs(delta) < 1) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

/** `2026-11-28 17:00:00 UTC (in 42 min)` */
export function describeEpoch(seconds: number, now: Date): string {
  return `${formatEpoch(seconds)} (${relativeTo(seconds, now)})`;
}
