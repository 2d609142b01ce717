import { LedgerHarness } from './support';

describe('OpenAPI document and operations', () => {
  let h: LedgerHarness;
  beforeAll(async () => {
    h = await LedgerHarness.start('openapi');
  });
  afterAll(() => h?.stop());

  it('documents every endpoint with schemas', async () => {
    const doc = (await h.call('GET', '/openapi.json', undefined)).body;
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /accounts',
        'GET /accounts',
        'GET /accounts/{id}',
        'GET /accounts/balances',
        'PUT /accounts/{id}',
        'PATCH /accounts/{id}',
        'DELETE /accounts/{id}',
        'POST /accounts/{id}/reconcile',
        'GET /accounts/{id}/reconciliations',
        'POST /categories',
        'GET /categories',
        'GET /categories/{id}',
        'PUT /categories/{id}',
        'PATCH /categories/{id}',
        'DELETE /categories/{id}',
        'POST /transactions',
        'POST /transactions/bulk',
        'GET /transactions',
        'GET /transactions/{id}',
        'PUT /transactions/{id}',
        'PATCH /transactions/{id}',
        'DELETE /transactions/{id}',
        'GET /transactions/{id}/audit',
        'POST /rules',
        'GET /rules',
        'GET /rules/{id}',
        'PUT /rules/{id}',
        'PATCH /rules/{id}',
        'DELETE /rules/{id}',
        'POST /rules/test',
        'POST /rules/{id}/apply',
        'GET /rules/jobs/{id}',
        'GET /rules/suggestions',
        'DELETE /rules/suggestions/{id}',
        'POST /recurring',
        'GET /recurring',
        'GET /recurring/due',
        'GET /recurring/{id}',
        'PUT /recurring/{id}',
        'PATCH /recurring/{id}',
        'DELETE /recurring/{id}',
        'GET /recurring/{id}/occurrences',
        'POST /recurring/{id}/occurrences/{date}/approve',
        'POST /recurring/{id}/occurrences/{date}/skip',
        'POST /recurring/{id}/process',
        'POST /transactions/convert',
        'GET /currencies',
        'GET /currencies/base-change',
        'GET /exchange-rates',
        'PUT /exchange-rates',
        'POST /exchange-rates/import',
        'POST /import/exchange-rates',
        'POST /import/csv',
        'POST /import/ofx',
        'POST /import/camt',
        'GET /import',
        'GET /import/{id}',
        'DELETE /import/{id}',
        'POST /import/mappings',
        'GET /import/mappings',
        'GET /import/mappings/{id}',
        'PUT /import/mappings/{id}',
        'DELETE /import/mappings/{id}',
      ].sort(),
    );
    const listParams = doc.paths['/transactions'].get.parameters.map((p: { name: string }) => p.name);
    expect(listParams).toEqual(
      expect.arrayContaining([
        'limit',
        'cursor',
        'sort',
        'from',
        'to',
        'transaction_type',
        'account_id',
        'category_id',
        'min_amount',
        'max_amount',
        'q',
        'cleared',
        'tag',
      ]),
    );
    expect(JSON.stringify(doc.paths['/transactions'].post.requestBody)).toContain('transaction_type');
    // A bulk operation's body is documented as its single route's: one schema for both.
    const bulk = doc.paths['/transactions/bulk'].post;
    const bulkOperations = bulk.requestBody.content['application/json'].schema.properties.operations;
    expect(bulkOperations).toMatchObject({ minItems: 1, maxItems: 500 });
    expect(JSON.stringify(bulkOperations.items)).toContain('transaction_type');
    expect(JSON.stringify(bulkOperations.items)).toContain('if_match');
    expect(Object.keys(bulk.responses)).toEqual(expect.arrayContaining(['207', '200', '400']));
    // The statement upload: a streamed file, as multipart (part `file`) or the file's own media type.
    const upload = doc.paths['/import/csv'].post.requestBody.content;
    expect(Object.keys(upload)).toEqual(['text/csv', 'multipart/form-data']);
    expect(Object.keys(upload['multipart/form-data'].schema.properties)).toEqual([
      'file',
      'mapping',
      'mapping_name',
    ]);
    // OFX and camt.053 name their own fields: a file and nothing else.
    for (const [format, mediaType] of [
      ['ofx', 'application/x-ofx'],
      ['camt', 'application/xml'],
    ]) {
      const content = doc.paths[`/import/${format}`].post.requestBody.content;
      expect(Object.keys(content)).toEqual([mediaType, 'multipart/form-data']);
      expect(Object.keys(content['multipart/form-data'].schema.properties)).toEqual(['file']);
    }
  });

  it('answers health and readiness', async () => {
    expect((await h.call('GET', '/healthz', undefined)).status).toBe(200);
    expect((await h.call('GET', '/readyz', undefined)).body).toEqual({
      status: 'ready',
      checks: { db: 'up', broker: 'up', events: 'up' },
    });
  });
});
