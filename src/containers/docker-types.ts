/**
 * Docker Engine API (v1.45) shapes for the container create body, as clients actually send them:
 * every field optional, most nullable. Field names keep Docker's spelling (they go over the wire as is).
 */

/** Docker sends `{}` for every member of a "set" (ExposedPorts, Volumes). */
export type EmptyObject = Record<string, never>;

/** Healthcheck config; durations are nanoseconds. `Test`: `[]` inherit, `["NONE"]`, `["CMD", ...]`, `["CMD-SHELL", cmd]`. */
export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number | null;
  Timeout?: number | null;
  StartPeriod?: number | null;
  StartInterval?: number | null;
  Retries?: number | null;
}

export interface ContainerConfig {
  Hostname?: string | null;
  Domainname?: string | null;
  User?: string | null;
  AttachStdin?: boolean | null;
  AttachStdout?: boolean | null;
  AttachStderr?: boolean | null;
  ExposedPorts?: Record<string, EmptyObject> | null;
  Tty?: boolean | null;
  OpenStdin?: boolean | null;
  StdinOnce?: boolean | null;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean | null;
  Image?: string | null;
  Volumes?: Record<string, EmptyObject> | null;
  WorkingDir?: string | null;
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean | null;
  MacAddress?: string | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

/** The runtime part of an image config that matters when creating a container. */
export interface ImageRuntimeConfig {
  User?: string | null;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string | null;
  ExposedPorts?: Record<string, EmptyObject> | null;
  Volumes?: Record<string, EmptyObject> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
  Shell?: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean | null;
  OnBuild?: string[] | null;
}

export interface LogConfig {
  Type?: string;
  Config?: Record<string, string> | null;
}

export interface PortBinding {
  HostIp?: string | null;
  HostPort?: string | null;
}

export interface RestartPolicy {
  Name?: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure' | (string & {});
  MaximumRetryCount?: number | null;
}

export interface MountSpec {
  Target?: string;
  Source?: string;
  Type?: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | (string & {});
  ReadOnly?: boolean | null;
  Consistency?: string | null;
  BindOptions?: {
    Propagation?: string | null;
    NonRecursive?: boolean | null;
    CreateMountpoint?: boolean | null;
    ReadOnlyNonRecursive?: boolean | null;
    ReadOnlyForceRecursive?: boolean | null;
  } | null;
  VolumeOptions?: {
    NoCopy?: boolean | null;
    Labels?: Record<string, string> | null;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
    Subpath?: string | null;
  } | null;
  TmpfsOptions?: { SizeBytes?: number | null; Mode?: number | null } | null;
}

export interface DeviceMapping {
  PathOnHost?: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

export interface Ulimit {
  Name?: string;
  Soft?: number;
  Hard?: number;
}

export interface WeightDevice { Path?: string; Weight?: number }
export interface ThrottleDevice { Path?: string; Rate?: number }

export interface HostConfig {
  // ---- Resources
  CpuShares?: number | null;
  Memory?: number | null;
  CgroupParent?: string | null;
  BlkioWeight?: number | null;
  BlkioWeightDevice?: WeightDevice[] | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  CpuPeriod?: number | null;
  CpuQuota?: number | null;
  CpuRealtimePeriod?: number | null;
  CpuRealtimeRuntime?: number | null;
  CpusetCpus?: string | null;
  CpusetMems?: string | null;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: unknown[] | null;
  KernelMemory?: number | null;
  KernelMemoryTCP?: number | null;
  MemoryReservation?: number | null;
  MemorySwap?: number | null;
  MemorySwappiness?: number | null;
  NanoCpus?: number | null;
  OomKillDisable?: boolean | null;
  Init?: boolean | null;
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  CpuCount?: number | null;
  CpuPercent?: number | null;
  IOMaximumIOps?: number | null;
  IOMaximumBandwidth?: number | null;

  // ---- the rest
  Binds?: string[] | null;
  ContainerIDFile?: string | null;
  LogConfig?: LogConfig | null;
  NetworkMode?: string | null;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  RestartPolicy?: RestartPolicy | null;
  AutoRemove?: boolean | null;
  VolumeDriver?: string | null;
  VolumesFrom?: string[] | null;
  Mounts?: MountSpec[] | null;
  ConsoleSize?: [number, number] | number[] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: '' | 'private' | 'host' | (string & {}) | null;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string | null;
  Cgroup?: string | null;
  Links?: string[] | null;
  OomScoreAdj?: number | null;
  PidMode?: string | null;
  Privileged?: boolean | null;
  PublishAllPorts?: boolean | null;
  ReadonlyRootfs?: boolean | null;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string | null;
  UsernsMode?: string | null;
  ShmSize?: number | null;
  Sysctls?: Record<string, string> | null;
  Runtime?: string | null;
  Isolation?: string | null;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
}
