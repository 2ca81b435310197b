import type { CommandImpl } from '../command.js';
import { formatUsage, write } from '../command.js';
import { StatusError, errorText } from '../errors.js';
import { tabwrite } from '../tabwriter.js';
import { Template, FUNCS } from '../template.js';
import { humanSize, bytesSize } from '../units.js';
import { BERTH_CLI_VERSION } from '../version.js';
import { MAX_API_VERSION } from '../../client/index.js';

/** docker's defaultVersionTemplate, rendered through tabwriter(20, 1, 1). */
export const VERSION_TEMPLATE = `{{with .Client -}}
Client:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:\t{{.GoVersion}}
 Git commit:\t{{.GitCommit}}
 Built:\t{{.BuildTime}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if .ServerOK}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- range $key, $v := $component.Details}}
  {{$key}}:\t{{$v}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`;

interface VersionInfo { Platform?: { Name?: string }; Components?: { Name: string; Version: string; Details?: Record<string, string> }[]; [k: string]: unknown }

/** Go's time.ANSIC (`Mon Jan _2 15:04:05 2006`) of an RFC 3339 time, in UTC; other text is kept. */
export function ansicDate(s: string): string {
  const t = Date.parse(s);
  if (!/^\d{4}-\d\d-\d\dT/.test(s) || Number.isNaN(t)) return s;
  const d = new Date(t);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** Gives an object Go-field aliases (`APIVersion` for JSON's `ApiVersion`) that templates see and JSON does not. */
function goFields<T extends object>(o: T, aliases: Record<string, string>): T {
  for (const [goName, key] of Object.entries(aliases)) {
    if (!(goName in o)) Object.defineProperty(o, goName, { enumerable: false, get: () => (o as Record<string, unknown>)[key] });
  }
  return o;
}

/** The server's /version as docker's client holds it: Engine BuildTime in ANSIC form, Details sorted. */
function serverVersion(server: VersionInfo): VersionInfo {
  const v: VersionInfo = { ...server };
  if (Array.isArray(server.Components)) {
    v.Components = server.Components.map((c) => {
      const details: Record<string, string> = {};
      for (const k of Object.keys(c.Details ?? {}).sort()) details[k] = k === 'BuildTime' && c.Name === 'Engine' ? ansicDate(c.Details![k]!) : c.Details![k]!;
      return { ...c, Details: details };
    });
  }
  return goFields(v, { APIVersion: 'ApiVersion' });
}

export function renderVersion(client: Record<string, unknown>, server: VersionInfo | undefined, format: string): string {
  const data = { Client: goFields(client, { APIVersion: 'ApiVersion' }), Server: server ? serverVersion(server) : null, ServerOK: !!server };
  if (format === 'json') return JSON.stringify(data) + '\n';
  if (format) return new Template(format.replaceAll('\\t', '\t').replaceAll('\\n', '\n')).execute(data) + '\n';
  const text = new Template(VERSION_TEMPLATE.replaceAll('\\t', '\t')).execute(data, FUNCS);
  return tabwrite(text + '\n', { minwidth: 20, tabwidth: 1, padding: 1, padchar: ' ' });
}

function clientInfo(apiVersion: string): Record<string, unknown> {
  const info = {
    Version: BERTH_CLI_VERSION,
    ApiVersion: apiVersion,
    DefaultAPIVersion: MAX_API_VERSION,
    GitCommit: 'unknown',
    GoVersion: `node${process.versions.node}`,
    Os: process.platform,
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    BuildTime: 'unknown',
    Context: 'default',
  };
  // docker's Platform is omitted from JSON when empty
  Object.defineProperty(info, 'Platform', { enumerable: false, value: { Name: '' } });
  return info;
}

const formatFlag = { name: 'format', short: 'f', kind: 'string' as const, usage: formatUsage(false) };

type Info = Record<string, unknown> & {
  Containers?: number; ContainersRunning?: number; ContainersPaused?: number; ContainersStopped?: number; Images?: number;
  ServerVersion?: string; Driver?: string; DriverStatus?: [string, string][]; LoggingDriver?: string; CgroupDriver?: string;
  CgroupVersion?: string; Plugins?: Record<string, string[] | null>; Swarm?: { LocalNodeState?: string }; Runtimes?: Record<string, unknown>;
  DefaultRuntime?: string; SecurityOptions?: string[]; KernelVersion?: string; OperatingSystem?: string; OSType?: string;
  Architecture?: string; NCPU?: number; MemTotal?: number; Name?: string; ID?: string; DockerRootDir?: string; Debug?: boolean;
  ExperimentalBuild?: boolean; LiveRestoreEnabled?: boolean; Labels?: string[]; Warnings?: string[] | null; HttpProxy?: string;
  HttpsProxy?: string; NoProxy?: string; IndexServerAddress?: string;
};

/** The "Server:" block of `docker info` (the common fields). */
export function renderInfo(info: Info): string {
  const l: string[] = [];
  const p = (s: string) => l.push(s);
  p('Server:');
  p(` Containers: ${info.Containers ?? 0}`);
  p(`  Running: ${info.ContainersRunning ?? 0}`);
  p(`  Paused: ${info.ContainersPaused ?? 0}`);
  p(`  Stopped: ${info.ContainersStopped ?? 0}`);
  p(` Images: ${info.Images ?? 0}`);
  p(` Server Version: ${info.ServerVersion ?? ''}`);
  p(` Storage Driver: ${info.Driver ?? ''}`);
  for (const [k, v] of info.DriverStatus ?? []) p(`  ${k}: ${v}`);
  p(` Logging Driver: ${info.LoggingDriver ?? ''}`);
  p(` Cgroup Driver: ${info.CgroupDriver ?? ''}`);
  if (info.CgroupVersion) p(` Cgroup Version: ${info.CgroupVersion}`);
  p(' Plugins:');
  p(`  Volume: ${(info.Plugins?.Volume ?? []).join(' ')}`);
  p(`  Network: ${(info.Plugins?.Network ?? []).join(' ')}`);
  p(`  Log: ${(info.Plugins?.Log ?? []).join(' ')}`);
  p(` Swarm: ${info.Swarm?.LocalNodeState ?? 'inactive'}`);
  p(` Runtimes: ${Object.keys(info.Runtimes ?? {}).sort().join(' ')}`);
  p(` Default Runtime: ${info.DefaultRuntime ?? ''}`);
  if (info.SecurityOptions?.length) {
    p(' Security Options:');
    for (const o of info.SecurityOptions) {
      const kv = o.split(',').map((x) => x.split('='));
      const name = kv.find(([k]) => k === 'name')?.[1] ?? o;
      p(`  ${name}`);
      for (const [k, v] of kv) if (k !== 'name') p(`   ${k[0]!.toUpperCase()}${k.slice(1)}: ${v}`);
    }
  }
  p(` Kernel Version: ${info.KernelVersion ?? ''}`);
  p(` Operating System: ${info.OperatingSystem ?? ''}`);
  p(` OSType: ${info.OSType ?? ''}`);
  p(` Architecture: ${info.Architecture ?? ''}`);
  p(` CPUs: ${info.NCPU ?? 0}`);
  p(` Total Memory: ${bytesSize(info.MemTotal ?? 0)}`);
  p(` Name: ${info.Name ?? ''}`);
  p(` ID: ${info.ID ?? ''}`);
  p(` Docker Root Dir: ${info.DockerRootDir ?? ''}`);
  p(` Debug Mode: ${info.Debug ? 'true' : 'false'}`);
  if (info.HttpProxy) p(` HTTP Proxy: ${info.HttpProxy}`);
  if (info.HttpsProxy) p(` HTTPS Proxy: ${info.HttpsProxy}`);
  if (info.NoProxy) p(` No Proxy: ${info.NoProxy}`);
  p(` Experimental: ${info.ExperimentalBuild ? 'true' : 'false'}`);
  if (info.Labels?.length) { p(' Labels:'); for (const x of info.Labels) p(`  ${x}`); }
  p(` Live Restore Enabled: ${info.LiveRestoreEnabled ? 'true' : 'false'}`);
  void humanSize;
  return l.join('\n') + '\n';
}

export const commands: Record<string, CommandImpl> = {
  version: {
    flags: [formatFlag],
    args: { max: 0 },
    async run(ctx, flags) {
      const client = ctx.client();
      let server: VersionInfo | undefined;
      let apiVersion = MAX_API_VERSION;
      let failure: unknown;
      try {
        apiVersion = await client.apiVersion();
        server = await client.get<VersionInfo>('/version');
      } catch (err) {
        failure = err;
      }
      await write(ctx.stdout, renderVersion(clientInfo(apiVersion), server, flags.string('format')));
      if (failure) throw new StatusError(1, errorText(failure));
      return 0;
    },
  },
  info: {
    flags: [formatFlag],
    args: { max: 0 },
    async run(ctx, flags) {
      const format = flags.string('format');
      const info = await ctx.client().get<Info>('/info');
      if (format === 'json') { await write(ctx.stdout, JSON.stringify(info) + '\n'); return 0; }
      if (format) { await write(ctx.stdout, new Template(format.replaceAll('\\t', '\t').replaceAll('\\n', '\n')).execute(info) + '\n'); return 0; }
      let out = `Client:\n Version:    ${BERTH_CLI_VERSION}\n Context:    default\n Debug Mode: false\n\n`;
      out += renderInfo(info);
      await write(ctx.stdout, out);
      for (const w of info.Warnings ?? []) await write(ctx.stderr, `${w}\n`);
      return 0;
    },
  },
};
