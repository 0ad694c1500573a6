// Preloaded into a measured process (`node --import ./bench/rss-at-exit.mjs …`): prints its peak resident
// set size and CPU time to stderr when it exits, so a benchmark measures the real CLI in its own process.
process.on('exit', () => {
  const usage = process.resourceUsage();
  process.stderr.write(
    `\nbench: maxRSS ${usage.maxRSS} KiB, cpu ${((usage.userCPUTime + usage.systemCPUTime) / 1e6).toFixed(2)} s\n`,
  );
});
