import { Alert, Checkbox, SegmentedControl, Select, Stack, TextInput } from '@mantine/core';
import { MQTT_DEFAULTS, TRANSPORT_TYPES, type TransportConfiguration } from '../../api/deviceProfiles';

/** `profileData.transportConfiguration`: the MQTT topics and payload type, or the defaults. */
export function TransportEditor({ value, onChange }: { value: TransportConfiguration; onChange: (v: TransportConfiguration) => void }) {
  const set = (patch: Partial<TransportConfiguration>) => onChange({ ...value, ...patch });
  const payload = value.transportPayloadTypeConfiguration?.transportPayloadType ?? 'JSON';
  return (
    <Stack maw={560}>
      <Select
        label="Transport type"
        allowDeselect={false}
        data={[...TRANSPORT_TYPES]}
        value={value.type}
        onChange={(v) => {
          if (!v || v === value.type) return;
          onChange(v === 'MQTT' ? { ...MQTT_DEFAULTS } : { type: v });
        }}
      />
      {value.type === 'DEFAULT' && (
        <Alert variant="light" color="gray">
          Devices use the standard topics and JSON payloads of every transport (MQTT, HTTP, CoAP).
        </Alert>
      )}
      {value.type === 'MQTT' && (
        <>
          <TextInput
            label="Telemetry topic filter"
            value={value.deviceTelemetryTopic ?? ''}
            onChange={(e) => set({ deviceTelemetryTopic: e.currentTarget.value })}
          />
          <TextInput
            label="Attributes publish topic filter"
            value={value.deviceAttributesTopic ?? ''}
            onChange={(e) => set({ deviceAttributesTopic: e.currentTarget.value })}
          />
          <TextInput
            label="Attributes subscribe topic"
            value={value.deviceAttributesSubscribeTopic ?? ''}
            onChange={(e) => set({ deviceAttributesSubscribeTopic: e.currentTarget.value })}
          />
          <div>
            <SegmentedControl
              aria-label="Payload"
              data={['JSON', 'PROTOBUF']}
              value={payload}
              onChange={(v) =>
                set({
                  transportPayloadTypeConfiguration: {
                    ...(value.transportPayloadTypeConfiguration ?? {}),
                    transportPayloadType: v as 'JSON' | 'PROTOBUF',
                  },
                })
              }
            />
          </div>
          <Checkbox
            label="Acknowledge a message that fails validation"
            checked={Boolean(value.sendAckOnValidationException)}
            onChange={(e) => set({ sendAckOnValidationException: e.currentTarget.checked })}
          />
        </>
      )}
      {value.type !== 'DEFAULT' && value.type !== 'MQTT' && (
        <Alert variant="light" color="yellow">
          {value.type} settings are kept as they are; this page edits only DEFAULT and MQTT.
        </Alert>
      )}
    </Stack>
  );
}
