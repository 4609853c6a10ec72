// Skiff's stand-in for the Kubernetes e2e test image registry.k8s.io/e2e-test-images/agnhost:
// the subcommands netexec, serve-hostname, pause, liveness and porter with the upstream flags,
// endpoints, responses and signal behaviour, binding the pod's own IP (see common.ts).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import {
  bindAddress,
  fatal,
  goDefaultSigterm,
  goTimeString,
  log,
  parseFlags,
  parseGoDuration,
  podHostname,
} from './common.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

const subcommands: Record<string, (args: string[]) => void | Promise<void>> = {
  netexec,
  'serve-hostname': serveHostname,
  pause,
  liveness,
  porter,
};

/** Go's json.Marshal escapes <, > and & in strings. */
function goJSON(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function hostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function listenError(proto: string, port: number | string, err: NodeJS.ErrnoException): never {
  const why = err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.code === 'EADDRNOTAVAIL' ? 'bind: cannot assign requested address' : err.message;
  fatal(`listen ${proto} ${hostPort(bindAddress(), port)}: ${why}`);
}

function serveHTTP(port: number, handler: Handler, tls?: { cert: Buffer; key: Buffer }): http.Server {
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    Promise.resolve(handler(req, res, url)).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err.message));
    });
  };
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, onRequest) : http.createServer(onRequest);
  server.on('error', (err: NodeJS.ErrnoException) => listenError('tcp', port, err));
  server.listen(port, bindAddress());
  return server;
}

function text(res: http.ServerResponse, body: string, code = 200): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

/** Go's http.Redirect for a GET: Location plus a short HTML body. */
function redirect(res: http.ServerResponse, location: string, code: number): void {
  res.writeHead(code, { Location: location, 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<a href="${location.replace(/"/g, '&#34;')}">${http.STATUS_CODES[code] ?? ''}</a>.\n\n`);
}

// ---------------------------------------------------------------- netexec

async function netexec(args: string[]): Promise<void> {
  const f = parseFlags('netexec', args, {
    'http-port': { type: 'int', default: 8080 },
    'udp-port': { type: 'int', default: 8081 },
    'sctp-port': { type: 'int', default: -1 },
    'tls-cert-file': { type: 'string', default: '' },
    'tls-private-key-file': { type: 'string', default: '' },
    'http-override': { type: 'string', default: '' },
    'udp-listen-addresses': { type: 'string', default: '' },
    'delay-shutdown': { type: 'int', default: 0 },
  });
  const httpPort = f['http-port'] as number;
  const udpPort = f['udp-port'] as number;
  const delayShutdown = f['delay-shutdown'] as number;
  let serverReady = false;
  let sigtermReceived = false;

  process.on('SIGTERM', () => {
    if (sigtermReceived) return;
    sigtermReceived = true;
    if (delayShutdown > 0) {
      log(`Sleeping ${delayShutdown} seconds before terminating...`);
      setTimeout(() => process.exit(0), delayShutdown * 1000);
    } else process.exit(0);
  });

  let server: http.Server;
  const routes: Record<string, Handler> = {
    '/': (_req, res) => {
      log('GET /');
      text(res, `NOW: ${goTimeString(new Date())}`);
    },
    '/clientip': (req, res) => {
      log('GET /clientip');
      text(res, hostPort(req.socket.remoteAddress ?? '', req.socket.remotePort ?? 0));
    },
    '/header': (req, res, url) => {
      const key = url.searchParams.get('key') ?? '';
      if (key) {
        log(`GET /header?key=${key}`);
        text(res, String(req.headers[key.toLowerCase()] ?? ''));
        return;
      }
      log('GET /header');
      const out: Record<string, string[]> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i]!.toLowerCase().replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
        if (k === 'Host') continue;
        (out[k] ??= []).push(req.rawHeaders[i + 1]!);
      }
      text(res, goJSON(Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]))));
    },
    '/dial': dialHandler,
    '/echo': (_req, res, url) => {
      const msg = url.searchParams.get('msg') ?? '';
      const codeString = url.searchParams.get('code') ?? '';
      log(`GET /echo?msg=${msg}&code=${codeString}`);
      if (codeString !== '') {
        if (!/^[-+]?\d+$/.test(codeString)) return text(res, `argument 'code' must be an integer or empty, got "${codeString}"\n`);
        return text(res, msg, Number(codeString));
      }
      text(res, msg);
    },
    '/exit': async (_req, res, url) => {
      const waitString = url.searchParams.get('wait') ?? '';
      const timeoutString = url.searchParams.get('timeout') ?? '';
      const codeString = url.searchParams.get('code') ?? '';
      log(`GET /exit?code=${codeString}&timeout=${timeoutString}&wait=${waitString}`);
      const timeout = timeoutString === '' ? 0 : parseGoDuration(timeoutString);
      if (timeout === undefined) return text(res, `argument 'timeout' must be a valid golang duration or empty, got "${timeoutString}"\n`);
      const wait = waitString === '' ? 0 : parseGoDuration(waitString);
      if (wait === undefined) return text(res, `argument 'wait' must be a valid golang duration or empty, got "${waitString}"\n`);
      if (codeString !== '' && !/^[-+]?\d+$/.test(codeString)) {
        return text(res, `argument 'code' must be an integer [0-127] or empty, got "${codeString}"\n`);
      }
      const code = codeString === '' ? 0 : Number(codeString);
      log(`Will begin shutdown in ${wait}ms, allowing ${timeout}ms for connections to close, then will exit with ${code}`);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (timeout === 0) process.exit(code);
      res.end();
      const deadline = setTimeout(() => process.exit(code), timeout);
      server.close(() => {
        clearTimeout(deadline);
        log('Graceful shutdown completed with: <nil>');
        process.exit(code);
      });
      server.closeIdleConnections();
    },
    '/healthz': (_req, res) => {
      log('GET /healthz');
      res.writeHead(serverReady ? 200 : 412).end();
    },
    '/readyz': (_req, res) => {
      log('GET /readyz');
      if (sigtermReceived) return text(res, 'shutting down', 503);
      if (serverReady) return text(res, 'ok');
      res.writeHead(412).end();
    },
    '/hostname': (_req, res) => {
      log('GET /hostname');
      text(res, podHostname());
    },
    '/hostName': (_req, res) => {
      log('GET /hostName');
      text(res, podHostname());
    },
    '/redirect': (req, res, url) => {
      const location = url.searchParams.get('location') ?? '';
      const codeString = url.searchParams.get('code') ?? '';
      log(`${req.method} /redirect?msg=${location}&code=${codeString}`);
      if (codeString !== '' && !/^[-+]?\d+$/.test(codeString)) {
        return text(res, `argument 'code' must be an integer or empty, got "${codeString}"\n`);
      }
      redirect(res, location, codeString === '' ? 302 : Number(codeString));
    },
    '/shell': shellHandler,
    '/shutdown': () => {
      log('GET /shutdown');
      process.exit(0);
    },
  };
  const override = f['http-override'] as string;
  const handler: Handler = (req, res, url) => {
    const u = override ? new URL(override, 'http://x') : url;
    return (routes[u.pathname] ?? routes['/']!)(req, res, u);
  };

  if (udpPort !== -1) {
    const list = (f['udp-listen-addresses'] as string).split(',').map((s) => s.trim()).filter(Boolean);
    const addresses = list.length ? [...new Set(list)].sort() : [bindAddress()];
    for (const a of addresses) {
      if (!net.isIP(a)) fatal(`parseAddress: invalid address ${a}`);
      startUDPServer(a, udpPort, () => (serverReady = true));
    }
  }
  if ((f['sctp-port'] as number) !== -1) log('SCTP is not supported by Skiff\'s process runtime; use the cri runtime');

  const cert = f['tls-cert-file'] as string;
  const tls = cert ? { cert: readFileSync(cert), key: readFileSync((f['tls-private-key-file'] as string) || cert) } : undefined;
  server = serveHTTP(httpPort, handler, tls);
  log(`Started HTTP server on port ${httpPort}`);
}

function startUDPServer(address: string, port: number, onReady: () => void): void {
  const sock = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  sock.on('error', (err: NodeJS.ErrnoException) => listenError('udp', port, err));
  sock.on('message', (buf, rinfo) => {
    const received = buf.toString().trim().toLowerCase();
    const client = hostPort(rinfo.address, rinfo.port);
    let reply: string | undefined;
    if (received === 'hostname') {
      log('Sending udp hostName response');
      reply = podHostname();
    } else if (received.startsWith('echo ')) {
      reply = received.slice(5);
      log(`Echoing ${reply} to UDP client ${client}`);
    } else if (received === 'clientip') {
      log(`Sending clientip back to UDP client ${client}`);
      reply = client;
    } else if (received.length > 0) log(`Unknown UDP command received from ${client}: ${received}`);
    if (reply !== undefined) sock.send(reply, rinfo.port, rinfo.address);
  });
  sock.bind(port, address, () => {
    log(`Started UDP server on port ${address} ${port}`);
    onReady();
  });
}

async function dialHandler(_req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const q = url.searchParams;
  const host = q.get('host') ?? '';
  const port = q.get('port') ?? '';
  const request = q.get('request') ?? '';
  const protocol = (q.get('protocol') ?? '').toLowerCase();
  const tryParam = q.get('tries') ?? '';
  log(`GET /dial?host=${host}&protocol=${protocol}&port=${port}&request=${request}&tries=${tryParam}`);
  let tries = 1;
  if (tryParam) {
    if (!/^[-+]?\d+$/.test(tryParam)) return text(res, `tries parameter is invalid. strconv.Atoi: parsing "${tryParam}": invalid syntax\n`, 400);
    tries = Number(tryParam);
  }
  if (!request) return text(res, 'request parameter not specified. <nil>\n', 400);
  if (protocol !== '' && protocol !== 'http' && protocol !== 'udp') return text(res, `unsupported protocol. ${protocol}\n`, 400);
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    return text(res, `host and/or port param are invalid. address ${hostPort(host, port)}: invalid port\n`, 400);
  }
  const addr = hostPort(host, port);
  const dialer = protocol === 'udp' ? dialUDP : dialHTTP;
  const errors: string[] = [];
  const responses: string[] = [];
  let response = '';
  for (let i = 0; i < tries; i++) {
    try {
      response = await dialer(request, host, Number(port), addr);
      responses.push(response);
    } catch (err) {
      response = '';
      errors.push((err as Error).message);
    }
  }
  const out: Record<string, string[]> = {};
  if (errors.length) out.errors = errors;
  if (response.length > 0) out.responses = responses;
  text(res, goJSON(out));
}

async function dialHTTP(request: string, _host: string, _port: number, addr: string): Promise<string> {
  const target = `http://${addr}/${request}`;
  try {
    const r = await fetch(target, { signal: AbortSignal.timeout(5000) });
    return await r.text();
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    const why =
      cause?.code === 'ECONNREFUSED'
        ? `dial tcp ${addr}: connect: connection refused`
        : (err as Error).name === 'TimeoutError'
          ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
          : (cause?.message ?? (err as Error).message);
    throw new Error(`Get "${target}": ${why}`);
  }
}

function dialUDP(request: string, host: string, port: number, addr: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`reading from udp connection failed. err:'read udp ${addr}: i/o timeout'`));
    }, 5000);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg.toString());
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(new Error(`reading from udp connection failed. err:'read udp ${addr}: ${err.message}'`));
    });
    sock.send(request, port, host);
  });
}

function shellHandler(_req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const cmd = url.searchParams.get('shellCommand') || url.searchParams.get('cmd') || '';
  log(`GET /shell?cmd=${cmd}`);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => {
      text(res, goJSON({ error: err.message }));
      resolve();
    });
    child.on('close', (code, signal) => {
      const out: Record<string, string> = {};
      if (code !== 0) out.error = signal ? `signal: ${signalText(signal)}` : `exit status ${code}`;
      const output = Buffer.concat(chunks).toString();
      if (output.length > 0) out.output = output;
      text(res, goJSON(out));
      resolve();
    });
  });
}

function signalText(sig: string): string {
  return ({ SIGKILL: 'killed', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGSEGV: 'segmentation fault' } as Record<string, string>)[sig] ?? sig;
}

// ---------------------------------------------------------------- serve-hostname

function serveHostname(args: string[]): void {
  const f = parseFlags('serve-hostname', args, {
    tcp: { type: 'bool', default: false },
    udp: { type: 'bool', default: false },
    http: { type: 'bool', default: true },
    close: { type: 'bool', default: false },
    port: { type: 'int', default: 9376 },
  });
  const port = f.port as number;
  if (f.http && (f.tcp || f.udp)) fatal("Can't server TCP/UDP mode and HTTP mode at the same time");
  const hostname = podHostname();
  if (f.tcp) {
    const server = net.createServer((conn) => {
      log(`TCP request from ${hostPort(conn.remoteAddress ?? '', conn.remotePort ?? 0)}`);
      conn.end(hostname);
    });
    server.on('error', (err: NodeJS.ErrnoException) => listenError('tcp', port, err));
    server.listen(port, bindAddress());
  }
  if (f.udp) {
    const sock = dgram.createSocket('udp4');
    sock.on('error', (err: NodeJS.ErrnoException) => listenError('udp', port, err));
    sock.on('message', (_m, rinfo) => {
      log(`UDP request from ${hostPort(rinfo.address, rinfo.port)}`);
      sock.send(hostname, rinfo.port, rinfo.address);
    });
    sock.bind(port, bindAddress());
  }
  if (f.http) {
    serveHTTP(port, (req, res) => {
      log(`HTTP request from ${hostPort(req.socket.remoteAddress ?? '', req.socket.remotePort ?? 0)}`);
      if (f.close) res.setHeader('Connection', 'close');
      text(res, hostname);
    });
  }
  log(`Serving on port ${port}.`);
  process.on('SIGTERM', () => {
    log('Shutting down after receiving signal: terminated.');
    log('Awaiting pod deletion.');
    setTimeout(() => process.exit(0), 60_000);
  });
}

// ---------------------------------------------------------------- pause

function pause(args: string[]): void {
  parseFlags('pause', args, {});
  process.on('SIGINT', () => process.exit(1));
  process.on('SIGTERM', () => process.exit(2));
  process.stdout.write('Paused\n');
  setInterval(() => {}, 1 << 30);
}

// ---------------------------------------------------------------- liveness

function liveness(args: string[]): void {
  parseFlags('liveness', args, {});
  const started = Date.now();
  goDefaultSigterm();
  serveHTTP(8080, (_req, res, url) => {
    const seconds = (Date.now() - started) / 1000;
    switch (url.pathname) {
      case '/started':
        return text(res, `${seconds}s`);
      case '/healthz':
        return seconds > 10 ? text(res, `error: ${seconds}`, 500) : text(res, 'ok');
      case '/redirect':
        return redirect(res, url.searchParams.get('loc') ?? '', 302);
      default:
        return text(res, '404 page not found\n', 404);
    }
  });
}

// ---------------------------------------------------------------- porter

function porter(args: string[]): void {
  const f = parseFlags('porter', args, { 'json-response': { type: 'bool', default: false } });
  goDefaultSigterm();
  const body = (req: http.IncomingMessage, value: string) =>
    f['json-response'] ? goJSON({ Method: req.method, Body: value }) : value;
  const handler = (value: string): Handler => (req, res) => {
    res.writeHead(200, { 'Content-Type': f['json-response'] ? 'application/json' : 'text/plain; charset=utf-8' });
    res.end(body(req, value));
  };
  const prefixes = ['SERVE_PORT_', 'SERVE_TCP_PORT_', 'SERVE_UDP_PORT_', 'SERVE_SCTP_PORT_', 'SERVE_TLS_PORT_'];
  for (const [key, value = ''] of Object.entries(process.env)) {
    const prefix = prefixes.find((p) => key.startsWith(p));
    if (!prefix) continue;
    const port = Number(key.slice(prefix.length));
    if (prefix === 'SERVE_UDP_PORT_') {
      const sock = dgram.createSocket('udp4');
      sock.on('error', (err) => log(`UDP: failed to listen on port ${port}: ${err.message}`));
      sock.on('message', (_m, rinfo) => sock.send(value, rinfo.port, rinfo.address));
      sock.bind(port, bindAddress(), () => log(`Started UDP server on port ${port}`));
    } else if (prefix === 'SERVE_SCTP_PORT_') {
      log(`Sctp: not supported by Skiff's process runtime (port ${port}); use the cri runtime`);
    } else if (prefix === 'SERVE_TLS_PORT_') {
      const certFile = process.env.CERT_FILE || 'localhost.crt';
      const keyFile = process.env.KEY_FILE || 'localhost.key';
      try {
        const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
        const s = https.createServer(tls, (req, res) => handler(value)(req, res, new URL('http://x/')));
        s.on('error', (err) => log(`tls server on port "${port}" with certFile="${certFile}", keyFile="${keyFile}" failed: ${err.message}`));
        s.listen(port, bindAddress());
      } catch (err) {
        log(`tls server on port "${port}" with certFile="${certFile}", keyFile="${keyFile}" failed: ${(err as Error).message}`);
      }
    } else {
      const s = http.createServer((req, res) => handler(value)(req, res, new URL('http://x/')));
      s.on('error', (err) => log(`server on port "${port}" failed: ${err.message}`));
      s.listen(port, bindAddress());
    }
  }
  setInterval(() => {}, 1 << 30);
}

// ---------------------------------------------------------------- main

const [sub, ...rest] = process.argv.slice(2);
if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
  process.stdout.write(
    `agnhost (Skiff built-in): a subset of the Kubernetes e2e test image.\n\nUsage:\n  agnhost [command]\n\nAvailable Commands:\n  ${Object.keys(subcommands).join('\n  ')}\n`,
  );
  process.exit(0);
}
const run = subcommands[sub];
if (!run) {
  process.stderr.write(
    `Error: unknown command "${sub}" for "agnhost"\nRun 'agnhost --help' for usage.\n` +
      `(Skiff's process runtime implements: ${Object.keys(subcommands).join(', ')}; run other agnhost subcommands on a node with the cri runtime)\n`,
  );
  process.exit(1);
}
await run(rest);
// Shows as the real image's process does; set once the subcommand's signal handlers are in place.
process.title = ['/agnhost', sub, ...rest].join(' ');
