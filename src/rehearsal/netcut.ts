/**
 * Cutting one node's links while the rest stay connected.
 *
 * Every node has its own loopback address, but a client that does not bind (Patroni's etcd client, for
 * one) sends from 127.0.0.1, so address pairs cannot tell nodes apart. The node's cgroup can: iptables
 * matches the cgroup of the socket's owner (`-m cgroup --path`). Rules live in a chain of their own,
 * jumped to from OUTPUT (loopback traffic passes OUTPUT once), so removing the chain removes every rule
 * this run added, also from the exit handler.
 */
import { spawnSync } from 'node:child_process';
import type { Supervisor } from './supervisor.js';

function ipt(args: readonly string[]): { ok: boolean; out: string } {
  const r = spawnSync('iptables', ['-w', '5', ...args], { encoding: 'utf8', timeout: 15_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

export interface Cut {
  /** Node whose outgoing packets are dropped. */
  readonly node: string;
  /** Destination addresses it can no longer reach. */
  readonly to: readonly string[];
}

export class LinkCutter {
  /** iptables chain of this run (at most 28 characters). */
  readonly chain: string;
  private active = false;
  private readonly cuts: Cut[] = [];

  constructor(
    private readonly sup: Supervisor,
    runId: string,
  ) {
    this.chain = `PGTOPO-${runId}`.slice(0, 28);
  }

  /** Creates the chain and the jump to it; registers its removal with the supervisor. */
  init(): void {
    if (this.active) return;
    const created = ipt(['-N', this.chain]);
    if (!created.ok) throw new Error(`iptables -N ${this.chain} failed: ${created.out}`);
    const jump = ipt(['-I', 'OUTPUT', '1', '-j', this.chain]);
    if (!jump.ok) {
      ipt(['-X', this.chain]);
      throw new Error(`iptables -I OUTPUT failed: ${jump.out}`);
    }
    this.active = true;
    this.sup.addCleanup({
      name: `iptables ${this.chain}`,
      async: async () => this.dispose(),
      sync: () => this.dispose(),
    });
  }

  /** Drops every packet the node sends to the given addresses (new and established connections). */
  cut(cut: Cut): void {
    if (!this.active) this.init();
    const path = this.sup.nodeCgroupPath(cut.node);
    for (const to of cut.to) {
      const r = ipt(['-A', this.chain, '-m', 'cgroup', '--path', path, '-d', `${to}/32`, '-j', 'DROP']);
      if (!r.ok) throw new Error(`iptables: cannot cut ${cut.node} -> ${to}: ${r.out}`);
    }
    this.cuts.push(cut);
  }

  /**
   * Drops a random share of the packets the node sends to the given addresses (`-m statistic`): a lossy
   * link rather than a cut one. Healed with the cuts (`healAll`).
   */
  degrade(cut: Cut & { readonly lossPercent: number }): void {
    if (!this.active) this.init();
    if (!(cut.lossPercent > 0 && cut.lossPercent < 100))
      throw new RangeError('lossPercent: between 0 and 100');
    const path = this.sup.nodeCgroupPath(cut.node);
    const p = (cut.lossPercent / 100).toFixed(4);
    for (const to of cut.to) {
      const r = ipt([
        '-A',
        this.chain,
        '-m',
        'cgroup',
        '--path',
        path,
        '-d',
        `${to}/32`,
        '-m',
        'statistic',
        '--mode',
        'random',
        '--probability',
        p,
        '-j',
        'DROP',
      ]);
      if (!r.ok) throw new Error(`iptables: cannot degrade ${cut.node} -> ${to}: ${r.out}`);
    }
    this.cuts.push(cut);
  }

  /** Restores every link this run cut. */
  healAll(): void {
    if (!this.active) return;
    ipt(['-F', this.chain]);
    this.cuts.length = 0;
  }

  /** The rules currently in the chain (as `iptables -S` prints them). */
  rules(): string[] {
    if (!this.active) return [];
    return ipt(['-S', this.chain])
      .out.split('\n')
      .filter((l) => l.startsWith('-A '));
  }

  /** Removes the jump and the chain. Idempotent. */
  dispose(): void {
    if (!this.active) return;
    for (let i = 0; i < 5 && ipt(['-D', 'OUTPUT', '-j', this.chain]).ok; i++) {
      /* remove every jump, in case one was added twice */
    }
    ipt(['-F', this.chain]);
    ipt(['-X', this.chain]);
    this.active = false;
  }
}
