import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface HttpServiceProcess {
  child: ChildProcess;
  /** SIGTERM (SIGKILL after 5 s), then removes `dir`. */
  stop(): Promise<void>;
}

/**
 * Spawns a server binary (Prometheus, Alertmanager, …) and waits until `readyUrl` answers 2xx. On failure the
 * process is killed, `dir` removed, and the error carries the process's output.
 */
export async function spawnHttpService(name: string, bin: string, args: string[], readyUrl: string, dir: string, timeoutMs = 20_000): Promise<HttpServiceProcess> {
  let output = '';
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`[wai:test-services] ${name} exited with ${child.exitCode}:\n${output}`);
    }
    try {
      const ready = await fetch(readyUrl);
      await ready.arrayBuffer();
      if (ready.ok) return { child, stop };
    } catch {
      // still starting
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`[wai:test-services] ${name} did not become ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
