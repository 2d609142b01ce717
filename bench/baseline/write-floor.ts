/**
 * The floor of the write path (issue 7, measure 2): bare express + one pg INSERT of the same
 * row shape into a table indexed like the ledger's `transactions`. No validation, no auth, no
 * outbox, no logging. Run as its own process by benches/write.ts:
 *   DATABASE_URL=… PORT=… node -r @swc-node/register bench/baseline/write-floor.ts
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();
app.use(express.json());

interface WriteBody {
  user_id: string;
  account_id: string;
  category_id: string | null;
  amount_minor: string;
  transaction_type: string;
  description: string;
  date: string;
}

app.post('/transactions', async (req, res) => {
  const body = req.body as WriteBody;
  const { rows } = await pool.query<{ id: string; created_at: Date }>(
    `INSERT INTO floor_transactions (id, user_id, account_id, category_id, transaction_type, amount_minor, currency,
       base_amount_minor, base_currency, description, date)
     VALUES ($1, $2, $3, $4, $5, $6, 'USD', $6, 'USD', $7, $8) RETURNING id, created_at`,
    [
      randomUUID(),
      body.user_id,
      body.account_id,
      body.category_id,
      body.transaction_type,
      body.amount_minor,
      body.description,
      body.date,
    ],
  );
  res.status(201).json(rows[0]);
});

const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
