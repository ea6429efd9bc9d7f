import { describe, expect, it } from 'vitest';
import { importEntry } from '../../sinks/brevo/classify.js';
import { IMPORT_MAX_BYTES, type ContactPayload } from '../../sinks/brevo/types.js';
import { importJobs } from './contacts.js';

const row = (i: number, note = '') => ({ c: { ext_id: `+1415555${String(i).padStart(4, '0')}`, attributes: { NOTE: note }, listIds: [1] } satisfies ContactPayload });
const bodyBytes = (job: readonly { c: ContactPayload }[]) => Buffer.byteLength(JSON.stringify({ jsonBody: job.map((r) => importEntry(r.c)), listIds: [1], updateExistingContacts: true, emptyContactsAttributes: false, disableNotification: true, notifyUrl: 'https://tajo.example.com/brevo/notify' }), 'utf8');

describe('importJobs', () => {
  it('splits by count, keeping every row once and in order', () => {
    const rows = Array.from({ length: 12_345 }, (_, i) => row(i));
    const jobs = importJobs(rows, 5_000);
    expect(jobs.map((j) => j.length)).toEqual([5_000, 5_000, 2_345]);
    expect(jobs.flat()).toEqual(rows);
  });

  it('splits by the real body size: every body stays within 8 MB and the cuts are needed', () => {
    // ~40 KB per row (multi-byte characters: 2 bytes each in UTF-8), so ~200 rows fill 8 MB
    const rows = Array.from({ length: 700 }, (_, i) => row(i, 'é'.repeat(20_000)));
    const jobs = importJobs(rows, 5_000);
    expect(jobs.length).toBeGreaterThanOrEqual(4);
    expect(jobs.flat()).toEqual(rows);
    for (const [k, job] of jobs.entries()) {
      expect(bodyBytes(job)).toBeLessThanOrEqual(IMPORT_MAX_BYTES);
      // the next row would not have fitted: jobs are as large as the limit allows
      const next = jobs[k + 1]?.[0];
      if (next) expect(bodyBytes([...job, next])).toBeGreaterThan(IMPORT_MAX_BYTES - 200);
    }
  });

  it('sends a row over the limit alone (Brevo decides) and an empty input as no job', () => {
    const huge = row(1, 'x'.repeat(IMPORT_MAX_BYTES));
    expect(importJobs([row(0), huge, row(2)], 5_000)).toEqual([[row(0)], [huge], [row(2)]]);
    expect(importJobs([], 5_000)).toEqual([]);
  });
});
