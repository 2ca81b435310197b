/** go-units HumanDuration, as Docker prints it in `ps` STATUS and CREATED columns. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000); // Go's int(d.Seconds()) truncates
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3600000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

export interface StatusState {
  Status: string; Running: boolean; Paused: boolean; Restarting: boolean; Dead: boolean;
  ExitCode: number; StartedAt: string; FinishedAt: string;
}

/** Docker's `Status` string for ps: "Up 3 seconds", "Exited (0) 5 seconds ago", "Created"... */
export function statusString(s: StatusState, now = Date.now()): string {
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Dead || s.Status === 'dead') return 'Dead';
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Running) {
    const up = `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    return s.Paused ? `${up} (Paused)` : up;
  }
  if (s.Status === 'created' || s.FinishedAt.startsWith('0001')) return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}
