import type { NextConfig } from 'next';

// Minimal on purpose. Telemetry is off via NEXT_TELEMETRY_DISABLED=1 (see README).
const nextConfig: NextConfig = {};

export default nextConfig;
