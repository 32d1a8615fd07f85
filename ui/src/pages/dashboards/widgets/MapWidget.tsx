import 'leaflet/dist/leaflet.css';
import { Text } from '@mantine/core';
import L from 'leaflet';
import { useEffect, useRef, useState } from 'react';
import { attributeValues } from '../../../dashboards/api';
import { entityKey } from '../../../dashboards/datasource';
import { numeric } from '../../../dashboards/format';
import { useEntityNames, useLatest, useResolved } from '../hooks';
import { setting, type WidgetProps } from './props';

export const DEFAULT_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';

/**
 * Markers at each entity's latitude/longitude, from telemetry (live) or attributes. Tiles
 * come from the configured URL; when none loads (offline plant network) the markers still
 * show on a plain background. Markers are vector circles, so no image assets are needed.
 */
export function MapWidget({ widget }: WidgetProps) {
  const resolved = useResolved(widget.config.datasources);
  const names = useEntityNames(resolved.entities);
  const latest = useLatest(resolved.entities);
  const latKey = setting(widget, 'latitudeKey', 'latitude');
  const lonKey = setting(widget, 'longitudeKey', 'longitude');
  const tileUrl = setting(widget, 'tileUrl', DEFAULT_TILE_URL);
  const [attributes, setAttributes] = useState<Record<string, Record<string, unknown>>>({});
  const element = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const layer = useRef<L.LayerGroup | null>(null);
  const fitted = useRef(false);
  const signature = resolved.entities.map(entityKey).join('|');

  useEffect(() => {
    if (!element.current) return;
    const instance = L.map(element.current, { center: [0, 0], zoom: 2, attributionControl: true });
    const markers = L.layerGroup().addTo(instance);
    map.current = instance;
    layer.current = markers;
    const observer = new ResizeObserver(() => instance.invalidateSize());
    observer.observe(element.current);
    return () => {
      observer.disconnect();
      instance.remove();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    const instance = map.current;
    if (!instance || !tileUrl) return;
    const tiles = L.tileLayer(tileUrl, { maxZoom: 19, attribution: '© OpenStreetMap contributors' }).addTo(instance);
    return () => void tiles.remove();
  }, [tileUrl]);

  useEffect(() => {
    let current = true;
    void Promise.all(
      resolved.entities.map(async (e) => [entityKey(e), await attributeValues(e, [latKey, lonKey]).catch(() => ({}))] as const),
    ).then((rows) => current && setAttributes(Object.fromEntries(rows)));
    return () => {
      current = false;
    };
  }, [signature, latKey, lonKey]); // the signature covers the entities

  const positions = resolved.entities.flatMap((e) => {
    const id = entityKey(e);
    const lat = numeric(latest[id]?.[latKey]?.value ?? attributes[id]?.[latKey]);
    const lon = numeric(latest[id]?.[lonKey]?.value ?? attributes[id]?.[lonKey]);
    return lat === null || lon === null ? [] : [{ id, lat, lon, name: names[id] ?? e.name ?? e.id }];
  });

  useEffect(() => {
    const markers = layer.current;
    const instance = map.current;
    if (!markers || !instance) return;
    markers.clearLayers();
    for (const p of positions) {
      L.circleMarker([p.lat, p.lon], { radius: 8, color: '#1c7ed6', weight: 2, fillOpacity: 0.7 })
        .bindTooltip(p.name)
        .addTo(markers);
    }
    if (!fitted.current && positions.length) {
      fitted.current = true;
      instance.fitBounds(L.latLngBounds(positions.map((p) => [p.lat, p.lon] as [number, number])).pad(0.3), { maxZoom: 14 });
    }
  });

  return (
    <div style={{ position: 'relative', height: '100%' }} data-testid="map" data-markers={positions.length}>
      <div ref={element} style={{ position: 'absolute', inset: 0, background: '#e9ecef' }} />
      {(resolved.problem || (!resolved.loading && positions.length === 0)) && (
        <Text size="xs" c="dimmed" style={{ position: 'absolute', left: 8, bottom: 4, zIndex: 500 }}>
          {resolved.problem ?? `No ${latKey}/${lonKey} values yet`}
        </Text>
      )}
    </div>
  );
}
