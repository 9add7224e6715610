// The few fields of Kubernetes objects the pack reads (core/v1, apps/v1, networking.istio.io/v1), nothing more.

export interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generation?: number;
}

export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { reason?: string; exitCode?: number; signal?: number; message?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface Quantities {
  cpu?: string;
  memory?: string;
  pods?: string;
}

export interface Pod {
  metadata?: Meta;
  spec?: {
    nodeName?: string;
    containers?: Array<{ name: string; image?: string; resources?: { requests?: Quantities } }>;
    initContainers?: Array<{ name: string; resources?: { requests?: Quantities } }>;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    startTime?: string;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface KubeEvent {
  metadata?: Meta;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string };
  reportingComponent?: string;
}

export interface Node {
  metadata?: Meta;
  spec?: { taints?: Array<{ key: string; value?: string; effect: string }>; unschedulable?: boolean };
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    allocatable?: Quantities;
    nodeInfo?: { kubeletVersion?: string };
  };
}

export interface Deployment {
  metadata?: Meta;
  spec?: { replicas?: number; paused?: boolean };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export interface Service {
  metadata?: Meta;
  spec?: {
    type?: string;
    clusterIP?: string;
    selector?: Record<string, string>;
    ports?: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string }>;
  };
}
