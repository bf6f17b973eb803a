import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { loadConfig } from '../config.ts';
import { RepeatLimiter, templateOf } from './repeats.ts';

/** pino's levels, and `silent`. */
export type LogLevel = Level | 'silent';

/** Where a service's log lines go, one JSON object per call (no trailing newline). */
export type LineSink = (line: string) => void;

export interface LoggingSettings {
  /** `LOG_LEVEL`. @default info */
  level: LogLevel;
  /** `TIGA_LOG_REPEAT_SECONDS` × 1000: one line per distinct warning or error per interval; 0 writes every one. @default 10000 */
  repeatIntervalMs: number;
}

/** The environment's settings, read when the first module logs; an environment the config refuses fails elsewhere, louder. */
function initialSettings(): LoggingSettings {
  try {
    const { logLevel, logRepeatIntervalMs } = loadConfig().observability;
    return { level: logLevel, repeatIntervalMs: logRepeatIntervalMs };
  } catch {
    return { level: 'info', repeatIntervalMs: 10_000 };
  }
}

const settings: LoggingSettings & { version: number } = { ...initialSettings(), version: 0 };

/** Sets the process's log level and repeat interval (entry points, from the config; tests). */
export function configureLogging(next: Partial<LoggingSettings>): LoggingSettings {
  const previous = { level: settings.level, repeatIntervalMs: settings.repeatIntervalMs };
  if (next.level !== undefined) settings.level = next.level;
  if (next.repeatIntervalMs !== undefined && next.repeatIntervalMs !== settings.repeatIntervalMs) {
    settings.repeatIntervalMs = next.repeatIntervalMs;
    for (const sink of sinks) sink.limiter.reset();
  }
  settings.version++;
  return previous;
}

/**
 * What every line says about the trace being recorded, read where the line is written (tracing on). The request id
 * is not read here but given by each line about a request (`requestId`): see lib/http/requestId.ts.
 */
function contextFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}

/** One destination: its pino root and the repeat windows of everything written to it. */
interface Sink {
  root: Logger;
  limiter: RepeatLimiter;
  version: number;
}

const sinks = new Set<Sink>();

function openSink(destination: DestinationStream): Sink {
  const root = pino(
    {
      level: settings.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.errWithCause },
      mixin: contextFields,
    },
    destination,
  );
  const sink: Sink = {
    root,
    version: settings.version,
    limiter: new RepeatLimiter(
      () => settings.repeatIntervalMs,
      (key, suppressed) => {
        const [service, level, msg, code] = JSON.parse(key) as [string, 'warn' | 'error', string, string | null];
        const seconds = settings.repeatIntervalMs / 1000;
        root[level]({ service, code: code ?? undefined, suppressed, repeatIntervalSeconds: seconds }, `${msg} (repeats suppressed)`);
      },
    ),
  };
  sinks.add(sink);
  return sink;
}

/** Tests' taps on the process's own destination (see `captureLogs`). */
const taps = new Set<{ lines: string[]; quiet: boolean }>();

/**
 * Lines on their way to standard error. Writing to a file or a pipe is one system call per write, and on a busy
 * hub most lines (one per request, in every service) are written within the same turn of the event loop: they go
 * out together at the end of the turn, in order, or at once past 256 KB, and whatever is left when the process
 * exits is written before it does. Only a process killed outright (SIGKILL) loses the lines of its last turn.
 */
const pending: string[] = [];
let pendingBytes = 0;
let flushScheduled = false;
function flushPending(): void {
  flushScheduled = false;
  if (!pending.length) return;
  const text = pending.join('');
  pending.length = 0;
  pendingBytes = 0;
  process.stderr.write(text);
}
process.on('exit', flushPending);

/** The process's destination: standard error, one JSON object per line; taps read it too. */
const processSink = openSink({
  write(line: string) {
    let quiet = false;
    for (const tap of taps) {
      tap.lines.push(line.trimEnd());
      quiet ||= tap.quiet;
    }
    if (quiet) return;
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes > 256 * 1024) flushPending();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushPending).unref();
    }
  },
});

const sinkOf = new WeakMap<LineSink, Sink>();

export interface ErrorFields {
  /** The error: serialised with its type, message, stack and causes. */
  err?: unknown;
  /** Its code (`extensions.code`, a Node.js `code`): part of what makes two errors "the same". */
  code?: string;
  [field: string]: unknown;
}

/** One GraphQL request as the access log records it. */
export interface RequestFields {
  /** The request's id (lib/http/requestId.ts), when it has one. */
  requestId?: string;
  operationName: string | null;
  operationType?: string | null;
  /** SHA-256 of the query text (Apollo's `queryHash`): the same query from any client has the same hash. */
  operationHash: string | null;
  /** From the request received to its response sent (absent when it failed before starting: a refused token). */
  durationMs?: number;
  /** ok: no error; partial: data with errors; error: no data. */
  outcome: 'ok' | 'partial' | 'error';
  status?: number;
  /** The `extensions.code` of each error, once each. */
  errorCodes?: string[];
  /** Replayed by the gateway's answer cache: no parse, plan or subgraph call. */
  cached?: boolean;
}

/** A service's logger: `service` on every line, the request id (and trace id) of the request being handled. */
export class ServiceLogger {
  private readonly logger: Logger;

  constructor(
    readonly service: string,
    private readonly sink: Sink,
  ) {
    this.logger = sink.root.child({ service });
  }

  /** The access log: one line per GraphQL request. */
  request(fields: RequestFields): void {
    this.current().info(fields, 'graphql request');
  }

  info(fields: Record<string, unknown>, msg: string): void {
    this.current().info(fields, msg);
  }

  /** A warning, at most once per interval for the same message and code (see `error`). */
  warn(fields: ErrorFields, msg: string): void {
    this.problem('warn', fields, msg);
  }

  /**
   * An error's detail. The same error (this service, this message, the same code and the same error message
   * once ids and numbers are taken out) is written once per interval; the next line about it says how many
   * were left out (`suppressed`).
   */
  error(fields: ErrorFields, msg: string): void {
    this.problem('error', fields, msg);
  }

  private problem(level: 'warn' | 'error', fields: ErrorFields, msg: string): void {
    const logger = this.current();
    if (!logger.isLevelEnabled(level)) return;
    const err = fields.err as { message?: unknown; code?: unknown } | undefined;
    const code = fields.code ?? (typeof err?.code === 'string' ? err.code : null);
    const detail = typeof err?.message === 'string' ? err.message : err === undefined ? '' : String(JSON.stringify(err));
    const key = JSON.stringify([this.service, level, msg, code, templateOf(detail)]);
    const suppressed = this.sink.limiter.admit(key);
    if (suppressed === undefined) return;
    logger[level](suppressed ? { ...fields, suppressed } : fields, msg);
  }

  /** The logger, at the level configured now (LOG_LEVEL can change after it was made: tests). */
  private current(): Logger {
    if (this.sink.version !== settings.version) {
      this.sink.root.level = settings.level;
      this.sink.version = settings.version;
    }
    this.logger.level = this.sink.root.level;
    return this.logger;
  }
}

const loggers = new WeakMap<Sink, Map<string, ServiceLogger>>();

/**
 * The logger of `service`. `sink` is where its lines go (a test's array, a file); by default the process's
 * standard error. The same (service, sink) always gives the same logger, so repeats are counted across every
 * module that logs for it.
 */
export function loggerFor(service: string, sink?: LineSink): ServiceLogger {
  let target = processSink;
  if (sink) {
    target = sinkOf.get(sink) ?? openSink({ write: (line: string) => sink(line.trimEnd()) });
    sinkOf.set(sink, target);
  }
  let byService = loggers.get(target);
  if (!byService) loggers.set(target, (byService = new Map()));
  let logger = byService.get(service);
  if (!logger) byService.set(service, (logger = new ServiceLogger(service, target)));
  return logger;
}

/**
 * Tests: collects every line written to the process's destination until `stop()`, parsed, and (quiet, the
 * default) keeps them off standard error meanwhile. Repeat windows start afresh, so an error another test
 * logged a second ago is written again.
 */
export function captureLogs({ quiet = true }: { quiet?: boolean } = {}): {
  readonly lines: string[];
  entries(): Record<string, unknown>[];
  stop(): void;
} {
  const tap = { lines: [] as string[], quiet };
  processSink.limiter.reset();
  taps.add(tap);
  return {
    lines: tap.lines,
    entries: () => tap.lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: () => void taps.delete(tap),
  };
}
