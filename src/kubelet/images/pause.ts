// Skiff's stand-in for the registry.k8s.io/pause image: sleeps until SIGINT/SIGTERM, then exits 0
// with the same messages as the real pause binary (which also warns when it is not pid 1).
const signalNames: Record<string, string> = { SIGINT: 'Interrupt', SIGTERM: 'Terminated' };

const args = process.argv.slice(2);
if (args[0] === '-v') {
  process.stdout.write('pause.c skiff\n');
  process.exit(0);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`Shutting down, got signal: ${signalNames[sig]}\n`);
    process.exit(0);
  });
}
if (process.pid !== 1) process.stderr.write('Warning: pause should be the first process\n');
// Shows as the real image's process does (ps, /proc/<pid>/cmdline) — and only once the signal
// handlers are in place, so that a caller can tell when SIGTERM will be honoured.
process.title = '/pause';
setInterval(() => {}, 1 << 30);
