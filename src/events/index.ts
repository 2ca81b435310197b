export {
  EventBus, eventFilter, EVENT_FILTER_KEYS,
  type Event, type EventInput, type EventActor, type EventType, type SubscribeOptions,
} from './event-bus.js';
export { EventHistoryFile, type HistoryRecord } from './history-file.js';
