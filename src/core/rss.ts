// The process's resident memory for /stats and the admin API. Node reads it from /proc, which
// needs a file descriptor: at the open-file limit `process.memoryUsage()` throws EMFILE, and the
// figure must not turn an ops endpoint into a 500 exactly when the operator needs it. Then the
// last figure read is given (or the peak from getrusage, which needs no descriptor).
let last: number | undefined;

export function residentMemory(): number {
  try {
    last = process.memoryUsage.rss();
    return last;
  } catch {
    return last ?? process.resourceUsage().maxRSS * 1024;
  }
}
