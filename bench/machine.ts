// What a benchmark ran on, recorded beside its numbers.
import { cpus, totalmem, platform, release } from 'node:os';

export function machineInfo() {
  const c = cpus();
  return { cpuModel: c[0]?.model ?? 'unknown', cpus: c.length, memGiB: Math.round(totalmem() / 2 ** 30), platform: `${platform()} ${release()}`, node: process.version, date: new Date().toISOString() };
}
