/** Child-process entry: SEV-SNP timings in a fresh Node process, printed as one JSON line. */
import { runSnpTimings } from './snp-timing';

const [reportHex, vcekBase64, rounds, warm] = JSON.parse(process.argv[2] ?? '[]') as [
  string,
  string,
  number,
  number,
];
process.stdout.write(
  `${JSON.stringify(await runSnpTimings(reportHex, vcekBase64, rounds, warm))}\n`,
);
