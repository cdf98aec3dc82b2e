/**
 * Loaded before a service's own modules (`node --import @platform/telemetry/register …`, or first
 * in the image's main.js), so the instrumentations are in place before http, pg, pino and undici
 * load. With no OTLP endpoint set it returns at once and no part of OpenTelemetry is loaded.
 */
import { TracingSettingsError, tracingSettings } from './settings.ts';

try {
  const settings = tracingSettings();
  if (settings) {
    const { startTracing } = await import('./sdk.ts');
    await startTracing(settings);
  }
} catch (error) {
  if (!(error instanceof TracingSettingsError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(1);
}
