import { InvalidArgumentError } from '../base/index.js';

/**
 * Go's encoding/json type checks for request bodies: a field whose JSON type cannot decode into the Go type moby
 * declares is a 400 (`json: cannot unmarshal string into Go struct field ContainerConfigWrapper.Env of type
 * []string`), never a half-created object or a crash later on. `null` decodes into anything; unknown fields are
 * ignored (dockerode posts its whole option bag).
 */
export type GoType =
  | 'string' | 'bool' | 'int' | 'int64' | 'uint16' | 'float64' | '[]string' | 'map[string]string' | 'strslice.StrSlice'
  | 'map[string]struct {}' | 'interface {}'
  | { go: string; fields: Record<string, GoType> }
  | { go: string; elem: GoType }
  | { go: string; values: GoType };

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function typeName(t: GoType): string {
  return typeof t === 'string' ? t : t.go;
}

/** Throws InvalidArgumentError when `value` cannot decode into `t`; `path` names the field as Go does ('' at the root). */
export function checkGoType(value: unknown, t: GoType, path: string): void {
  if (value === null || value === undefined || t === 'interface {}') return;
  const fail = (what = jsonKind(value)): never => {
    const where = path ? `Go struct field ${path}` : 'Go value';
    throw new InvalidArgumentError(`json: cannot unmarshal ${what} into ${where} of type ${typeName(t)}`);
  };
  switch (t) {
    case 'string': if (typeof value !== 'string') fail(); return;
    case 'bool': if (typeof value !== 'boolean') fail(); return;
    case 'int': case 'int64': case 'uint16':
      if (typeof value !== 'number') fail();
      if (!Number.isInteger(value) || (t === 'uint16' && ((value as number) < 0 || (value as number) > 65535))) fail(`number ${String(value)}`);
      return;
    case 'float64': if (typeof value !== 'number') fail(); return;
    case '[]string':
      if (!Array.isArray(value)) fail();
      for (const x of value as unknown[]) if (x !== null && typeof x !== 'string') fail(jsonKind(x));
      return;
    case 'strslice.StrSlice':
      if (typeof value === 'string') return;
      if (!Array.isArray(value)) fail();
      for (const x of value as unknown[]) if (x !== null && typeof x !== 'string') fail(jsonKind(x));
      return;
    case 'map[string]string':
      if (jsonKind(value) !== 'object') fail();
      for (const x of Object.values(value as object)) if (x !== null && typeof x !== 'string') fail(jsonKind(x));
      return;
    case 'map[string]struct {}':
      if (jsonKind(value) !== 'object') fail();
      for (const x of Object.values(value as object)) if (x !== null && jsonKind(x) !== 'object') fail(jsonKind(x));
      return;
    default:
      break;
  }
  if ('fields' in t) {
    if (jsonKind(value) !== 'object') fail();
    const obj = value as Record<string, unknown>;
    const base = path || t.go.replace(/^.*\./, '');
    for (const [k, ft] of Object.entries(t.fields)) {
      if (Object.hasOwn(obj, k)) checkGoType(obj[k], ft, `${base}.${k}`);
    }
  } else if ('elem' in t) {
    if (!Array.isArray(value)) fail();
    for (const x of value as unknown[]) checkGoType(x, t.elem, path);
  } else {
    if (jsonKind(value) !== 'object') fail();
    for (const x of Object.values(value as object)) checkGoType(x, t.values, path);
  }
}

const health: GoType = {
  go: 'container.HealthConfig',
  fields: { Test: '[]string', Interval: 'int64', Timeout: 'int64', StartPeriod: 'int64', StartInterval: 'int64', Retries: 'int' },
};

const portBindings: GoType = {
  go: 'nat.PortMap',
  values: { go: '[]nat.PortBinding', elem: { go: 'nat.PortBinding', fields: { HostIp: 'string', HostPort: 'string' } } },
};

const throttle: GoType = { go: '[]*blkiodev.ThrottleDevice', elem: { go: 'blkiodev.ThrottleDevice', fields: { Path: 'string', Rate: 'int64' } } };

const hostConfig: GoType = {
  go: 'container.HostConfig',
  fields: {
    Binds: '[]string', ContainerIDFile: 'string', NetworkMode: 'string', PortBindings: portBindings,
    LogConfig: { go: 'container.LogConfig', fields: { Type: 'string', Config: 'map[string]string' } },
    RestartPolicy: { go: 'container.RestartPolicy', fields: { Name: 'string', MaximumRetryCount: 'int' } },
    AutoRemove: 'bool', VolumeDriver: 'string', VolumesFrom: '[]string', ConsoleSize: { go: '[2]uint', elem: 'int' },
    Annotations: 'map[string]string', CapAdd: 'strslice.StrSlice', CapDrop: 'strslice.StrSlice', CgroupnsMode: 'string',
    Dns: '[]string', DnsOptions: '[]string', DnsSearch: '[]string', ExtraHosts: '[]string', GroupAdd: '[]string',
    IpcMode: 'string', Cgroup: 'string', Links: '[]string', OomScoreAdj: 'int', PidMode: 'string', Privileged: 'bool',
    PublishAllPorts: 'bool', ReadonlyRootfs: 'bool', SecurityOpt: '[]string', StorageOpt: 'map[string]string',
    Tmpfs: 'map[string]string', UTSMode: 'string', UsernsMode: 'string', ShmSize: 'int64', Sysctls: 'map[string]string',
    Runtime: 'string', Isolation: 'string', MaskedPaths: '[]string', ReadonlyPaths: '[]string', Init: 'bool',
    CpuShares: 'int64', Memory: 'int64', CgroupParent: 'string', BlkioWeight: 'uint16',
    BlkioWeightDevice: { go: '[]*blkiodev.WeightDevice', elem: { go: 'blkiodev.WeightDevice', fields: { Path: 'string', Weight: 'uint16' } } },
    BlkioDeviceReadBps: throttle, BlkioDeviceWriteBps: throttle, BlkioDeviceReadIOps: throttle, BlkioDeviceWriteIOps: throttle,
    CpuPeriod: 'int64', CpuQuota: 'int64', CpuRealtimePeriod: 'int64', CpuRealtimeRuntime: 'int64', CpusetCpus: 'string',
    CpusetMems: 'string',
    Devices: { go: '[]container.DeviceMapping', elem: { go: 'container.DeviceMapping', fields: { PathOnHost: 'string', PathInContainer: 'string', CgroupPermissions: 'string' } } },
    DeviceCgroupRules: '[]string', KernelMemory: 'int64', KernelMemoryTCP: 'int64', MemoryReservation: 'int64',
    MemorySwap: 'int64', MemorySwappiness: 'int64', NanoCpus: 'int64', OomKillDisable: 'bool', PidsLimit: 'int64',
    Ulimits: { go: '[]*units.Ulimit', elem: { go: 'units.Ulimit', fields: { Name: 'string', Soft: 'int64', Hard: 'int64' } } },
    CpuCount: 'int64', CpuPercent: 'int64', IOMaximumIOps: 'int64', IOMaximumBandwidth: 'int64',
    Mounts: {
      go: '[]mount.Mount',
      elem: {
        go: 'mount.Mount',
        fields: {
          Type: 'string', Source: 'string', Target: 'string', ReadOnly: 'bool', Consistency: 'string',
          BindOptions: 'interface {}', VolumeOptions: 'interface {}', TmpfsOptions: 'interface {}',
        },
      },
    },
  },
};

/** The body of POST /containers/create (moby's ContainerConfigWrapper: Config inline + HostConfig + NetworkingConfig). */
export const CONTAINER_CREATE_BODY: GoType = {
  go: 'container.CreateRequest',
  fields: {
    Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'bool', AttachStdout: 'bool',
    AttachStderr: 'bool', ExposedPorts: 'map[string]struct {}', Tty: 'bool', OpenStdin: 'bool', StdinOnce: 'bool',
    Env: '[]string', Cmd: 'strslice.StrSlice', Healthcheck: health, ArgsEscaped: 'bool', Image: 'string',
    Volumes: 'map[string]struct {}', WorkingDir: 'string', Entrypoint: 'strslice.StrSlice', NetworkDisabled: 'bool',
    MacAddress: 'string', OnBuild: '[]string', Labels: 'map[string]string', StopSignal: 'string', StopTimeout: 'int',
    Shell: 'strslice.StrSlice', HostConfig: hostConfig,
    NetworkingConfig: { go: 'network.NetworkingConfig', fields: { EndpointsConfig: { go: 'map[string]*network.EndpointSettings', values: 'interface {}' } } },
  },
};
