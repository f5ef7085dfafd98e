/** A rough human duration for messages ("~45 s", "~37 min", "~5.2 h", "~3 d"). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 90) return `~${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  if (minutes < 90) return `~${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 48) return `~${hours < 10 ? hours.toFixed(1) : Math.round(hours)} h`;
  return `~${Math.round(hours / 24)} d`;
}
