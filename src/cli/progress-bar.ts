/** A one-line progress bar on a terminal, redrawn at most every 100 ms. */
import type { Progress } from '../cas/index.js';

export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly label: string,
  ) {}

  update(p: Progress): void {
    const now = Date.now();
    if (now - this.lastDraw < 100 && p.done !== p.total) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 40));
    const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    const filled = Math.round(fraction * width);
    const counts = p.total > 0 ? `${p.done}/${p.total}` : `${p.done}`;
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${counts} ${p.unit}\x1b[K`);
    this.drawn = true;
  }

  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
  }
}
