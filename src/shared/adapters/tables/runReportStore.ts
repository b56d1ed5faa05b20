// RunReportStore on Table storage: one row per monitor run, row keys sorting newest first so that
// `latest(n)` reads only n rows.
import { type RunReport, type RunReportStore, StoreConflictError } from '#src/shared/ports/index.js';
import { toStoreError } from '../storeErrors.js';
import {
  dateProperty,
  optionalDateProperty,
  readModifyWrite,
  stringProperty,
  tableKey,
  type Row,
  type TableAccess,
} from './tableAccess.js';

export const RUN_TABLE = 'keyrelayRuns';
const PARTITION = 'run';
const MAX_TIME_MS = 9_999_999_999_999;

export function createTableRunReportStore(tables: TableAccess, tableName = RUN_TABLE): RunReportStore {
  return {
    async start(runId, startedAt) {
      const client = await tables.table(tableName);
      const invertedTime = String(MAX_TIME_MS - startedAt.getTime()).padStart(13, '0');
      const report: RunReport = { runId, startedAt, counts: {}, errors: [] };
      if ((await findRowKey(tables, tableName, runId)) !== undefined) {
        throw new StoreConflictError(`start run: run ${runId} was already started`, 409);
      }
      try {
        await client.createEntity({
          ...toProperties(report),
          partitionKey: PARTITION,
          rowKey: `${invertedTime}-${tableKey(runId)}`,
        });
      } catch (err) {
        throw toStoreError(err, 'start run');
      }
    },

    async finish(runId, outcome) {
      const client = await tables.table(tableName);
      const rowKey = await findRowKey(tables, tableName, runId);
      if (rowKey === undefined) return undefined;
      const row = await readModifyWrite(client, PARTITION, rowKey, 'finish run', (current) =>
        toProperties({
          ...fromRow(current),
          finishedAt: outcome.finishedAt,
          counts: outcome.counts,
          errors: outcome.errors,
        }),
      );
      return row === undefined ? undefined : fromRow(row);
    },

    async latest(count) {
      const client = await tables.table(tableName);
      const reports: RunReport[] = [];
      if (count <= 0) return reports;
      try {
        const pages = client
          .listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${PARTITION}'` } })
          .byPage({ maxPageSize: Math.min(count, 1000) });
        for await (const page of pages) {
          for (const row of page) {
            reports.push(fromRow(row));
            if (reports.length >= count) return reports;
          }
        }
      } catch (err) {
        throw toStoreError(err, 'list runs');
      }
      return reports;
    },
  };
}

// The run id alone does not give the row key (it starts with the time); runs are few (one or two a day)
// and a lookup is only needed once per run, so a filtered query on the run id is enough.
async function findRowKey(tables: TableAccess, tableName: string, runId: string): Promise<string | undefined> {
  const client = await tables.table(tableName);
  try {
    const rows = client.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}' and runKey eq '${tableKey(runId)}'`, select: ['RowKey'] },
    });
    for await (const row of rows) return row.rowKey;
  } catch (err) {
    throw toStoreError(err, 'find run');
  }
  return undefined;
}

function toProperties(report: RunReport): Record<string, unknown> {
  return {
    runId: report.runId,
    runKey: tableKey(report.runId),
    startedAt: report.startedAt,
    ...(report.finishedAt !== undefined && { finishedAt: report.finishedAt }),
    counts: JSON.stringify(report.counts),
    errors: JSON.stringify(report.errors),
  };
}

function fromRow(row: Row): RunReport {
  const finishedAt = optionalDateProperty(row.finishedAt, 'finishedAt');
  return {
    runId: stringProperty(row.runId, 'runId'),
    startedAt: dateProperty(row.startedAt, 'startedAt'),
    ...(finishedAt !== undefined && { finishedAt }),
    counts: parseCounts(stringProperty(row.counts, 'counts')),
    errors: parseErrors(stringProperty(row.errors, 'errors')),
  };
}

function parseCounts(text: string): Record<string, number> {
  const parsed: unknown = JSON.parse(text);
  const counts: Record<string, number> = {};
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [name, value] of Object.entries(parsed)) if (typeof value === 'number') counts[name] = value;
  }
  return counts;
}

function parseErrors(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
}
