// Shared by the bench's command-line tools: options and medians.

/** The options of a command line: `option("--reps", "5")`, `options("--lib")` (every value), `flag("--quick")`. */
export function commandLine(args) {
  return {
    option: (name, fallback) => {
      const index = args.indexOf(name);
      return index === -1 ? fallback : args[index + 1];
    },
    options: (name) => args.flatMap((arg, i) => (arg === name ? [args[i + 1]] : [])),
    flag: (name) => args.includes(name),
  };
}

/** The median of a non-empty list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
