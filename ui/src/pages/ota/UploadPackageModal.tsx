import { Alert, Button, FileInput, Group, Modal, Select, Stack, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { deviceProfiles } from '../../api/deviceProfiles';
import { describeError } from '../../api/errors';
import { DEFAULT_PAGE_LINK } from '../../lib/pageLink';
import { CHECKSUM_ALGORITHMS, PACKAGE_TYPES, saveOtaPackage, uploadOtaContent, type PackageType } from './otaApi';

interface Props {
  opened: boolean;
  onClose: () => void;
  onSaved: (title: string) => void;
}

/** Creates a package (title, version, type, profile) and uploads its file in one go. */
export function UploadPackageModal({ opened, onClose, onSaved }: Props) {
  const [profiles, setProfiles] = useState<{ value: string; label: string }[]>([]);
  const [title, setTitle] = useState('');
  const [version, setVersion] = useState('');
  const [tag, setTag] = useState('');
  const [type, setType] = useState<PackageType>('FIRMWARE');
  const [profile, setProfile] = useState<string | null>(null);
  const [algorithm, setAlgorithm] = useState<string>('SHA256');
  const [checksum, setChecksum] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!opened) return;
    setError(null);
    deviceProfiles({ ...DEFAULT_PAGE_LINK, pageSize: 100, sortProperty: 'name', sortOrder: 'ASC' })
      .then((page) => {
        setProfiles(page.data.map((p) => ({ value: p.id!.id, label: p.name })));
        setProfile((current) => current ?? page.data.find((p) => p.default)?.id?.id ?? null);
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, [opened]);

  async function save() {
    if (!title.trim() || !version.trim() || !profile || !file) {
      setError('Title, version, device profile and a file are required');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const info = await saveOtaPackage({
        title: title.trim(),
        version: version.trim(),
        tag: tag.trim() || null,
        type,
        deviceProfileId: { entityType: 'DEVICE_PROFILE', id: profile },
      });
      await uploadOtaContent(info.id!.id, file, algorithm, checksum.trim() || undefined);
      onSaved(info.title);
      setTitle('');
      setVersion('');
      setTag('');
      setChecksum('');
      setFile(null);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Upload package" centered>
      <Stack>
        {error && (
          <Alert color="red" variant="light">
            {error}
          </Alert>
        )}
        <TextInput label="Title" required value={title} onChange={(e) => setTitle(e.currentTarget.value)} />
        <TextInput label="Version" required value={version} onChange={(e) => setVersion(e.currentTarget.value)} />
        <TextInput label="Tag" value={tag} onChange={(e) => setTag(e.currentTarget.value)} />
        <Select
          label="Type"
          data={[...PACKAGE_TYPES]}
          value={type}
          allowDeselect={false}
          onChange={(value) => setType((value as PackageType) ?? 'FIRMWARE')}
        />
        <Select label="Device profile" required searchable data={profiles} value={profile} onChange={setProfile} />
        <FileInput label="File" required placeholder="Choose the image" value={file} onChange={setFile} />
        <Select
          label="Checksum algorithm"
          data={[...CHECKSUM_ALGORITHMS]}
          value={algorithm}
          allowDeselect={false}
          onChange={(value) => setAlgorithm(value ?? 'SHA256')}
        />
        <TextInput
          label="Checksum"
          description="Leave empty to have it computed; when given, the upload must match it"
          value={checksum}
          onChange={(e) => setChecksum(e.currentTarget.value)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={busy} onClick={save}>
            Upload
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
