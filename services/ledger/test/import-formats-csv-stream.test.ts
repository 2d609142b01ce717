import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { parse } from 'csv-parse';
import { readCsv, type CsvMapping } from '../src/import/formats/csv';

// A real collection between samples, so that the heap measured is what the reader retains.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROWS = 100_000;
const mapping: CsvMapping = {
  columns: {
    date: 'Datum',
    amount: 'Bedrag',
    direction: 'Af Bij',
    description: 'Omschrijving',
    external_id: 'Ref',
  },
};

/** A bank export generated as it is read: 64 KiB chunks, never the whole file at once. */
async function* bankExport(rows: number, padding: number): AsyncGenerator<Buffer> {
  yield Buffer.from('Rekening;NL91ABNA0417164300\r\n\r\nDatum;Omschrijving;Af Bij;Bedrag;Ref\r\n');
  const pad = 'x'.repeat(padding);
  let batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const amount = `${Math.floor(i / 1000)}.${String(i % 1000).padStart(3, '0')},${String(i % 100).padStart(2, '0')}`;
    batch.push(`${day}-03-2026;"Shop ${i}; ${pad}";${i % 3 === 0 ? 'Bij' : 'Af'};${amount};R${i}\r\n`);
    if (batch.length === 500) {
      yield Buffer.from(batch.join(''));
      batch = [];
    }
  }
  yield Buffer.from(`${batch.join('')}Saldo;;;1.234,56\r\n`);
}

describe('a 100,000-row bank CSV streams', () => {
  it('in time near a bare csv-parse pass over the same bytes (times printed)', async () => {
    const file: Buffer[] = [];
    for await (const chunk of bankExport(ROWS, 20)) file.push(chunk);
    async function* replay() {
      yield* file;
    }
    // The floor: csv-parse alone, streamed the same way, doing nothing with the records.
    let started = process.hrtime.bigint();
    const bare = parse({ delimiter: ';', relax_quotes: true, relax_column_count: true });
    const feeding = (async () => {
      for (const chunk of file)
        if (!bare.write(chunk)) await new Promise((resolve) => bare.once('drain', resolve));
      bare.end();
    })();
    let records = 0;
    for await (const record of bare) records += record.length > 0 ? 1 : 0;
    await feeding;
    const floor = Number(process.hrtime.bigint() - started) / 1e6;

    started = process.hrtime.bigint();
    let rows = 0;
    let last = '';
    for await (const item of readCsv(replay(), { mapping, maxRows: ROWS })) {
      if (item.kind === 'problem') throw new Error(JSON.stringify(item.problem));
      if (item.kind === 'row') {
        rows++;
        last = item.row.amount;
      }
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(
      `readCsv: ${ROWS} rows in ${ms.toFixed(0)} ms; bare csv-parse ${floor.toFixed(0)} ms (ratio ${(ms / floor).toFixed(2)})`,
    );
    expect(records).toBe(ROWS + 4);
    expect(rows).toBe(ROWS);
    expect(last).toBe('99999.99'); // the last row: "99.999,99", Bij
    // Decoding, detection and the finance rules cost less than parsing itself again twice over;
    // a ratio (not a time) holds on a loaded machine. bench/ owns the absolute numbers.
    expect(ms / floor).toBeLessThan(4);
  });

  it('without holding the file: heap retained stays far below the file size', async () => {
    const padding = 200; // ~230 bytes a row: a 23 MB file
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let rows = 0;
    for await (const item of readCsv(bankExport(ROWS, padding), { mapping, maxRows: ROWS })) {
      if (item.kind === 'row' && ++rows % 10_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    console.log(
      `readCsv: ${ROWS} rows of ${padding + 30} bytes, peak retained heap ${(peak / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(rows).toBe(ROWS);
    expect(peak).toBeLessThan(8 * 2 ** 20);
  });
});
