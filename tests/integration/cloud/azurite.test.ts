// @azure/data-tables against Azurite started by dev/cloud/azurite.ts (child process, free ports, in memory).
import { RestError, TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../../dev/cloud/azurite.js';

let azurite: AzuriteHandle | undefined;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

function started(): AzuriteHandle {
  if (!azurite) throw new Error('azurite did not start');
  return azurite;
}

function table(name: string): TableClient {
  // FACTS.md: a custom http endpoint needs allowInsecureConnection (Azurite speaks plain HTTP on loopback).
  return TableClient.fromConnectionString(started().connectionString, name, { allowInsecureConnection: true });
}

describe('Azurite', () => {
  it('listens on loopback ports it chose itself', () => {
    const { blobEndpoint, queueEndpoint, tableEndpoint } = started();
    for (const endpoint of [blobEndpoint, queueEndpoint, tableEndpoint]) {
      expect(new URL(endpoint).hostname).toBe('127.0.0.1');
      expect(Number(new URL(endpoint).port)).toBeGreaterThan(0);
    }
  });

  it('creates and updates a table entity, and answers a stale ETag with 412', async () => {
    const client = table('mailboxes');
    await client.createTable();
    await client.createEntity({ partitionKey: 'contoso', rowKey: 'mario', status: 'ok' });
    const loaded = await client.getEntity<{ status: string }>('contoso', 'mario');
    await client.updateEntity({ partitionKey: 'contoso', rowKey: 'mario', status: 'reconnect_required' }, 'Merge', {
      etag: loaded.etag,
    });
    const stale = await client
      .updateEntity({ partitionKey: 'contoso', rowKey: 'mario', status: 'ok' }, 'Merge', { etag: loaded.etag })
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(RestError);
    expect((stale as RestError).statusCode).toBe(412);
    expect((await client.getEntity<{ status: string }>('contoso', 'mario')).status).toBe('reconnect_required');
  });

  it('answers a duplicate create with 409', async () => {
    const client = table('ledger');
    await client.createTable();
    await client.createEntity({ partitionKey: 'p', rowKey: 'r' });
    const duplicate = await client.createEntity({ partitionKey: 'p', rowKey: 'r' }).catch((e: unknown) => e);
    expect((duplicate as RestError).statusCode).toBe(409);
  });

  it('stops the child process so its port refuses connections', async () => {
    const second = await startAzurite();
    const url = `${second.tableEndpoint}/Tables`;
    await second.stop();
    await expect(fetch(url)).rejects.toThrow();
  });
});
