import type { z } from 'zod';
import { DEFAULT_BASE_URLS } from '../../config/defaults.js';
import { TajoError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { RateBudget, TwilioBudgets } from '../../engine/budget.js';
import { httpRequest, type RequestStats } from '../../engine/http.js';
import { PageMeta } from './schemas.js';

/** The four Twilio hosts Tajo reads; TaskRouter's `/Events` lives on the taskrouter host. */
export type TwilioApi = 'flex' | 'conversations' | 'taskrouter';

export interface TwilioBaseUrls {
  flex: string;
  conversations: string;
  taskrouter: string;
  events: string;
}

export interface TwilioCredentials {
  /** Account SID (auth token mode) or API Key SID (`SK…`). */
  username: string;
  password: string;
  accountSid: string;
}

/** Requests and budget waits, accumulated per stream for the sync report. */
export interface CallMeter {
  requests: number;
  rateWaitMs: number;
}

export interface TwilioClientOptions {
  baseUrls: TwilioBaseUrls;
  credentials: TwilioCredentials;
  budgets: TwilioBudgets;
  logger?: Logger;
  logApiCalls?: boolean;
  /** 1 = backfill (sync), 0 = live. */
  priority?: 0 | 1;
  timeScale?: number;
  signal?: AbortSignal;
  stats?: RequestStats;
  timeoutMs?: number;
  maxAttempts?: number;
}

/** Max PageSize per API (docs §0.6): TaskRouter/Flex/Events 1000, Conversations (conversations, messages, participants) 100. */
export const MAX_PAGE_SIZE: Record<TwilioApi, number> = { flex: 1000, conversations: 100, taskrouter: 1000 };

export type Query = Record<string, string | number | boolean | undefined>;

export interface Page<T> {
  items: T[];
  /** The URL this page was read from (for logs: never carries credentials). */
  url: string;
  nextUrl: string | null;
}

/** Validation failure → TAJO_TWILIO_BAD_RESPONSE with the zod paths (never the values, which may be PII). */
function badResponse(what: string, error: z.ZodError): TajoError {
  return new TajoError('TAJO_TWILIO_BAD_RESPONSE', `Twilio answered ${what} with an unexpected shape`, {
    details: error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw badResponse(what, r.error);
  return r.data;
}

/**
 * Basic-auth Twilio client on the shared `httpRequest` (budgets, retries on 429/5xx, timeouts). Lists are async
 * generators following `meta.next_page_url` verbatim; `Page=N` is never sent (docs §0.4).
 */
export class TwilioClient {
  readonly meter: CallMeter;
  private readonly auth: string;

  constructor(
    private readonly opts: TwilioClientOptions,
    meter?: CallMeter,
  ) {
    this.meter = meter ?? { requests: 0, rateWaitMs: 0 };
    this.auth = `Basic ${Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`).toString('base64')}`;
  }

  get accountSid(): string {
    return this.opts.credentials.accountSid;
  }

  /** Same client, requests counted on another meter (one per stream). */
  withMeter(meter: CallMeter): TwilioClient {
    return new TwilioClient(this.opts, meter);
  }

  private budgetsFor(api: TwilioApi, path: string): RateBudget[] {
    const b = this.opts.budgets;
    if (api === 'flex') return [b.flex];
    if (api === 'conversations') return [b.conversations];
    // An Events call spends both the Events budget and the TaskRouter workspace budget.
    return /\/Events(\?|$)/.test(path) ? [b.events, b.taskrouter] : [b.taskrouter];
  }

  url(api: TwilioApi, path: string, query: Query = {}): string {
    // Plain concatenation keeps a base path (an emulator mounted under a prefix).
    const u = new URL(`${this.opts.baseUrls[api].replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** GET an absolute URL; undefined on 404 when `allow404`. */
  async getUrl(api: TwilioApi, url: string, opts: { allow404?: boolean } = {}): Promise<unknown> {
    try {
      const res = await httpRequest({
        vendor: 'twilio',
        method: 'GET',
        url,
        headers: { authorization: this.auth, accept: 'application/json' },
        budgets: this.budgetsFor(api, new URL(url).pathname),
        priority: this.opts.priority ?? 1,
        ...(this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}),
        ...(this.opts.maxAttempts !== undefined ? { maxAttempts: this.opts.maxAttempts } : {}),
        ...(this.opts.logger ? { logger: this.opts.logger } : {}),
        ...(this.opts.logApiCalls !== undefined ? { logApiCalls: this.opts.logApiCalls } : {}),
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
        ...(this.opts.stats ? { stats: this.opts.stats } : {}),
        ...(this.opts.timeScale !== undefined ? { timeScale: this.opts.timeScale } : {}),
      });
      this.meter.requests += res.attempts;
      this.meter.rateWaitMs += res.budgetWaitMs;
      if (res.json === undefined) throw new TajoError('TAJO_TWILIO_BAD_RESPONSE', 'Twilio answered with a body that is not JSON');
      return res.json;
    } catch (err) {
      if (err instanceof TajoError && 'attempts' in err && typeof err.attempts === 'number') this.meter.requests += err.attempts;
      if (opts.allow404 && err instanceof TajoError && err.code === 'TAJO_TWILIO_NOT_FOUND') return undefined;
      throw err;
    }
  }

  async get<S extends z.ZodType>(api: TwilioApi, path: string, query: Query, schema: S, opts: { allow404?: boolean } = {}): Promise<z.infer<S> | undefined> {
    const json = await this.getUrl(api, this.url(api, path, query), opts);
    if (json === undefined) return undefined;
    return parseOrThrow(schema, json, `GET ${path}`);
  }

  /**
   * Pages of a list endpoint. The first request carries the filters and PageSize (clamped to the API maximum);
   * later requests use `meta.next_page_url` exactly as returned (it carries the PageToken).
   */
  async *paginate<S extends z.ZodType>(api: TwilioApi, path: string, query: Query, key: string, item: S, pageSize?: number): AsyncGenerator<Page<z.infer<S>>> {
    const size = Math.min(pageSize ?? MAX_PAGE_SIZE[api], MAX_PAGE_SIZE[api]);
    let url: string | null = this.url(api, path, { ...query, PageSize: size });
    const seen = new Set<string>();
    while (url !== null) {
      if (seen.has(url)) throw new TajoError('TAJO_TWILIO_BAD_RESPONSE', `Twilio returned a next_page_url that loops (${path})`);
      seen.add(url);
      const page: Page<z.infer<S>> = await this.readPage(api, url, path, key, item);
      yield page;
      url = page.nextUrl;
    }
  }

  /**
   * One page, parsed. Its own frame: the decoded response body (a second copy of every item) is garbage once the items
   * are parsed, instead of staying in the generator's registers while the consumer works on the yielded page.
   */
  private async readPage<S extends z.ZodType>(api: TwilioApi, url: string, path: string, key: string, item: S): Promise<Page<z.infer<S>>> {
    const json = await this.getUrl(api, url);
    if (json === null || typeof json !== 'object') throw new TajoError('TAJO_TWILIO_BAD_RESPONSE', `Twilio list ${path} is not an object`);
    const body = json as Record<string, unknown>;
    const meta = parseOrThrow(PageMeta, body.meta, `GET ${path} (meta)`);
    const listKey = meta.key ?? key;
    const raw = body[listKey] ?? body[key];
    if (!Array.isArray(raw)) throw new TajoError('TAJO_TWILIO_BAD_RESPONSE', `Twilio list ${path} has no "${key}" array`);
    const items = raw.map((x, i) => parseOrThrow(item, x, `GET ${path} (${key}[${i}])`) as z.infer<S>);
    return { items, url, nextUrl: meta.next_page_url ? new URL(meta.next_page_url, url).toString() : null };
  }
}

/** The installed connector's URLs win; the config's `base_urls` (defaults: Twilio's hosts) fill gaps. */
export function twilioBaseUrls(
  installed: { [K in keyof TwilioBaseUrls]?: string | undefined },
  configured: { [K in keyof TwilioBaseUrls]?: string | undefined },
): TwilioBaseUrls {
  const pick = (k: keyof TwilioBaseUrls): string => installed[k] || configured[k] || DEFAULT_BASE_URLS[k];
  return { flex: pick('flex'), conversations: pick('conversations'), taskrouter: pick('taskrouter'), events: pick('events') };
}

/** Credentials from the connector settings and its secrets: API key (SK + secret) when configured, else the Auth Token. */
export function twilioCredentials(
  settings: { accountSid: string; authMode: 'auth_token' | 'api_key'; apiKeySid?: string },
  secrets: { authToken?: string | undefined; apiKeySecret?: string | undefined },
): TwilioCredentials {
  if (settings.authMode === 'api_key') {
    if (!settings.apiKeySid || !secrets.apiKeySecret) throw new TajoError('TAJO_TWILIO_AUTH', 'API key mode needs the API Key SID and secret');
    return { username: settings.apiKeySid, password: secrets.apiKeySecret, accountSid: settings.accountSid };
  }
  if (!secrets.authToken) throw new TajoError('TAJO_TWILIO_AUTH', 'The Twilio Auth Token is missing');
  return { username: settings.accountSid, password: secrets.authToken, accountSid: settings.accountSid };
}
