/**
 * Running the podcap CLI. CDK calls validation plugins synchronously, so the CLI runs with
 * `child_process.spawnSync`; its JSON report (docs/report-json.md) is read from stdout.
 */
import { spawnSync } from 'child_process';
import type { PodcapJsonReport, PodcapRule } from './report';

/** The command when none is given: `podcap` on PATH. */
export const DEFAULT_COMMAND: readonly string[] = ['podcap'];
const INSTALL_HINT = 'install it with `pip install podcap` (Python >= 3.11), or pass the command that runs it '
  + "(`new PodcapValidator({ command: ['python3', '-m', 'podcap'] })`)";
/** podcap's exit codes: 0 no failing finding, 1 failing findings, 2 bad invocation or unreadable input. */
const EXIT_OK = 0;
const EXIT_FINDINGS = 1;

/** The podcap CLI could not be run, or refused its input. */
export class PodcapCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PodcapCommandError';
  }
}

/** `command` as argv: a string is one program name or path (no shell splitting), an array is argv. */
export function commandArgv(command: string | string[] | undefined): string[] {
  if (command === undefined) return [...DEFAULT_COMMAND];
  const argv = typeof command === 'string' ? [command] : [...command];
  if (argv.length === 0 || argv.some((a) => typeof a !== 'string') || argv[0] === '') {
    throw new PodcapCommandError('podcap-cdk: `command` must be a program name or a non-empty list of strings');
  }
  return argv;
}

/** What one run of the CLI gave. */
export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run podcap with these arguments; a missing program is a PodcapCommandError saying how to install it. */
export function runPodcap(argv: string[], args: string[], env?: NodeJS.ProcessEnv): CommandResult {
  const [program, ...pre] = argv;
  const p = spawnSync(program, [...pre, ...args], {
    encoding: 'utf-8',
    env: env ?? process.env,
    maxBuffer: 512 * 1024 * 1024,
    windowsHide: true,
  });
  if (p.error) {
    const code = (p.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new PodcapCommandError(`podcap-cdk: cannot run ${JSON.stringify(program)}: not found`
        + `${program === DEFAULT_COMMAND[0] ? ' on PATH' : ''}; ${INSTALL_HINT}`);
    }
    if (code === 'EACCES') {
      throw new PodcapCommandError(`podcap-cdk: cannot run ${JSON.stringify(program)}: not executable; ${INSTALL_HINT}`);
    }
    throw new PodcapCommandError(`podcap-cdk: cannot run ${JSON.stringify(program)}: ${p.error.message}`);
  }
  if (p.status === null) {
    throw new PodcapCommandError(`podcap-cdk: ${[program, ...pre].join(' ')} was stopped by ${p.signal}`);
  }
  return { status: p.status, stdout: p.stdout ?? '', stderr: p.stderr ?? '' };
}

function lastLine(text: string): string {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '').pop() ?? '';
}

/** `podcap check ... --format json`: the parsed report and the exit code (0 or 1). */
export function runCheck(argv: string[], args: string[]): { report: PodcapJsonReport; status: number } {
  const p = runPodcap(argv, args);
  if (p.status !== EXIT_OK && p.status !== EXIT_FINDINGS) {
    // exit 2: a bad invocation or unreadable input, said in one line on stderr
    const why = lastLine(p.stderr) || `exit code ${p.status}`;
    throw new PodcapCommandError(`podcap check failed: ${why}`);
  }
  let report: PodcapJsonReport;
  try {
    report = JSON.parse(p.stdout);
  } catch {
    throw new PodcapCommandError(`podcap check did not print a JSON report (is ${JSON.stringify(argv.join(' '))} podcap?)`
      + `${p.stderr ? `: ${lastLine(p.stderr)}` : ''}`);
  }
  if (typeof report !== 'object' || report === null || report.version !== 1 || !Array.isArray(report.findings)
    || !Array.isArray(report.inputs) || typeof report.summary !== 'object') {
    throw new PodcapCommandError('podcap check printed a report this plugin does not know (report version '
      + `${JSON.stringify((report as { version?: unknown } | null)?.version)}, expected 1)`);
  }
  return { report, status: p.status };
}

/** `podcap rules --format json`: the rules by id (for their docs links). */
export function runRules(argv: string[]): Map<string, PodcapRule> {
  const p = runPodcap(argv, ['rules', '--format', 'json']);
  if (p.status !== EXIT_OK) {
    throw new PodcapCommandError(`podcap rules failed: ${lastLine(p.stderr) || `exit code ${p.status}`}`);
  }
  const rules = JSON.parse(p.stdout) as PodcapRule[];
  return new Map(rules.map((r) => [r.id, r]));
}
