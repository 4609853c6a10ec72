// The memory backend runs the storage conformance suite.
import { runBackendConformance } from '../backend.case.ts';
import { MemoryBackend } from './memory.ts';
import { FakeClock } from '../../machinery/clock.ts';

runBackendConformance('memory', {
  make: async () => {
    const clock = new FakeClock();
    const backend = new MemoryBackend({ clock });
    return { backend, clock, cleanup: () => backend.close() };
  },
});
