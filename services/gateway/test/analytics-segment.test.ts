import { segmentThroughTheGateway } from './analytics-segment.ts';

segmentThroughTheGateway(
  'Segment clients through the gateway (PostgreSQL store)',
  async () => ({}),
);
