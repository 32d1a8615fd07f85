import { Autocomplete, TextInput, Textarea } from '@mantine/core';
import { useEffect, useState } from 'react';
import { assetProfiles, saveAsset, type Asset } from '../../api/assets';
import { FormModal } from '../../components/FormModal';

interface Props {
  opened: boolean;
  asset?: Asset | null;
  onClose: () => void;
  onSaved: (asset: Asset) => void;
}

/** Name, label, profile (by name; the default when empty) and description of an asset. */
export function AssetFormModal({ opened, asset, onClose, onSaved }: Props) {
  const [name, setName] = useState('');
  const [label, setLabel] = useState('');
  const [type, setType] = useState('');
  const [description, setDescription] = useState('');
  const [profiles, setProfiles] = useState<string[]>([]);

  useEffect(() => {
    if (!opened) return;
    setName(asset?.name ?? '');
    setLabel(asset?.label ?? '');
    setType(asset?.type ?? '');
    setDescription(asset?.additionalInfo?.description ?? '');
    assetProfiles()
      .then((ps) => setProfiles(ps.map((p) => p.name)))
      .catch(() => setProfiles([]));
  }, [opened, asset]);

  async function submit() {
    const body: Asset = { ...(asset ?? {}), name: name.trim(), label: label.trim() || null };
    if (type.trim() && type.trim() !== asset?.type) {
      body.type = type.trim();
      body.assetProfileId = null;
    }
    body.additionalInfo = { ...(asset?.additionalInfo ?? {}), description };
    onSaved(await saveAsset(body));
  }

  return (
    <FormModal opened={opened} onClose={onClose} title={asset ? 'Edit asset' : 'Add asset'} submit={submit} submitLabel={asset ? 'Save' : 'Add'} canSubmit={Boolean(name.trim())}>
      <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
      <TextInput label="Label" value={label} onChange={(e) => setLabel(e.currentTarget.value)} />
      <Autocomplete
        label="Asset profile"
        description="A profile name; a new name creates the profile, empty means the default"
        placeholder="default"
        data={profiles}
        value={type}
        onChange={setType}
      />
      <Textarea label="Description" autosize minRows={2} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
    </FormModal>
  );
}
