/** Child-process entry: TDX timings in a fresh Node process, printed as one JSON line. */
import { runTdxTimings, type TdxBenchInput } from './tdx-timing';

const [input, rounds, warm] = JSON.parse(process.argv[2] ?? '[]') as [
  TdxBenchInput,
  number,
  number,
];
process.stdout.write(`${JSON.stringify(await runTdxTimings(input, rounds, warm))}\n`);
