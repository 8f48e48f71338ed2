/** Runs the KEM timings in a fresh Node process (see kem-timing.ts); prints one JSON line. */
import { runKemTimings } from './kem-timing';

const [rounds] = JSON.parse(process.argv[2] ?? '[40]') as [number];
const t = await runKemTimings(rounds);
console.log(JSON.stringify({ ...t, runtime: `Node ${process.version}` }));
