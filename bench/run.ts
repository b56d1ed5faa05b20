// `npm run bench`: runs every section in one process against one local cloud + host, prints the
// measured figures side by side with their goals and writes them to bench/results/latest.json.
// A section is a module bench/p<N>-*.ts exporting a BenchSection; add it to SECTIONS below.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultLocalCaDir, ensureLocalCa } from '../dev/cloud/tls.js';
import { createBenchContext, type BenchRow, type BenchSection } from './context.js';
import { coldStartSection } from './p1-coldstart.js';
import { tokenSection } from './p2-p5-token.js';
import { tokenThroughputSection } from './p3-throughput.js';
import { monitorSection } from './p6-monitor.js';
import { keepAliveSection } from './p7-keepalive.js';
import { rotationRaceSection } from './r1-rotation-race.js';

const SECTIONS: BenchSection[] = [
  coldStartSection,
  tokenSection,
  tokenThroughputSection,
  monitorSection,
  keepAliveSection,
  rotationRaceSection,
];

const benchDir = import.meta.dirname;
const CHILD_MARKER = 'KEYRELAY_BENCH_WITH_LOCAL_CA';

// FACTS.md: NODE_EXTRA_CA_CERTS is read at process start, so the run re-executes itself trusting the local CA.
if (process.env[CHILD_MARKER] !== '1') {
  const ca = await ensureLocalCa(process.env.LOCAL_CLOUD_CA_DIR ?? defaultLocalCaDir());
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [CHILD_MARKER]: '1', NODE_EXTRA_CA_CERTS: ca.bundlePath, LOCAL_CLOUD_CA_DIR: ca.dir },
  });
  process.exit(child.status ?? 1);
}

// `npm run bench -- R1 P6` runs only the named sections.
const wanted = process.argv.slice(2).map((id) => id.toUpperCase());
const unknown = wanted.filter((id) => !SECTIONS.some((section) => section.id === id));
if (unknown.length > 0) {
  console.error(
    `unknown bench section(s): ${unknown.join(', ')}; known: ${SECTIONS.map((section) => section.id).join(', ')}`,
  );
  process.exit(2);
}
const context = createBenchContext((line) => console.log(`  ${line}`));
const rows: BenchRow[] = [];
try {
  for (const section of SECTIONS.filter((candidate) => wanted.length === 0 || wanted.includes(candidate.id))) {
    console.log(`${section.id}: ${section.title}`);
    rows.push(...(await section.run(context)));
  }
} finally {
  await context.close();
}

printTable(rows);
// Only a full run replaces the recorded figures.
if (wanted.length === 0) {
  const resultsDir = join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, 'latest.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`,
  );
  console.log(`\nwritten to bench/results/latest.json`);
}
process.exitCode = rows.every((row) => row.met) ? 0 : 1;

function printTable(table: BenchRow[]): void {
  const header = ['', 'metric', 'measured', 'goal', 'met'];
  const lines = table.map((row) => [row.section, row.metric, String(row.measured), row.goal, row.met ? 'yes' : 'NO']);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(`\n${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}`);
  for (const line of lines) console.log(format(line));
  for (const row of table.filter((candidate) => candidate.note)) console.log(`  ${row.section}: ${row.note}`);
}
