/**
 * An AWS emulator for tests: moto_server (moto 5.2.1) with pgtopo's patches (moto/pgtopo_moto.py,
 * one named patch per place moto departs from AWS), on a loopback address of its own.
 *
 * moto_server is found as PGTOPO_MOTO_SERVER or on the PATH (a pyenv shim is followed to the real
 * script); the patched server runs with the Python of that script. Where there is none, `startMoto`
 * says why, and the caller skips loudly.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The loopback address the emulator listens on (this suite's own: 127.0.44.x). */
export const MOTO_HOST = '127.0.44.1';
const LAUNCHER = fileURLToPath(new URL('./moto/pgtopo_moto.py', import.meta.url));

export interface Moto {
  readonly endpoint: string;
  /** The patches the server applied, by name (from its start-up lines). */
  readonly patches: readonly string[];
  stop(): Promise<void>;
}

const executable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The Python interpreter (argv) that runs moto_server, or why there is none. */
export function motoPython(): string[] | string {
  const candidates = process.env.PGTOPO_MOTO_SERVER
    ? [process.env.PGTOPO_MOTO_SERVER]
    : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'moto_server'));
  const found = candidates.find(executable);
  if (!found) return 'moto_server is not on the PATH (nor PGTOPO_MOTO_SERVER): install moto[server] 5.2.1';
  let script = found;
  let first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  if (!/python/.test(first) && /pyenv/.test(readFileSync(script, 'utf8'))) {
    // A pyenv shim: the script of the active Python.
    try {
      script = execFileSync('pyenv', ['which', 'moto_server'], { encoding: 'utf8' }).trim();
      first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
    } catch (e) {
      return `${found} is a pyenv shim that resolves to no moto_server (${(e as Error).message.split('\n')[0]})`;
    }
  }
  const m = /^#!\s*(\S+(?:\s+\S+)?)/.exec(first);
  if (!m || !/python/.test(m[1]!))
    return `${script} is not a Python script (first line ${JSON.stringify(first)})`;
  const argv = m[1]!.split(/\s+/);
  return argv[0] === '/usr/bin/env' ? argv.slice(1) : argv;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the patched moto_server; resolves once it answers, or to the reason it cannot run. */
export async function startMoto(timeoutMs = 60_000): Promise<Moto | string> {
  const python = motoPython();
  if (typeof python === 'string') return python;
  const port = await freePort(MOTO_HOST);
  const endpoint = `http://${MOTO_HOST}:${port}`;
  const child: ChildProcess = spawn(
    python[0]!,
    [...python.slice(1), LAUNCHER, '-H', MOTO_HOST, '-p', String(port)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    // Keep the start-up lines (the patches) and the last few kB of request lines.
    log = (log + d.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      return `the patched moto_server exited (${child.exitCode}): ${log.slice(-2000)}`;
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.ok) {
        const patches = [...log.matchAll(/^pgtopo-moto: patch ([\w-]+):/gm)].map((p) => p[1]!);
        return { endpoint, patches, stop };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  return `the patched moto_server did not answer on ${endpoint} within ${timeoutMs / 1000} s: ${log.slice(-2000)}`;
}
