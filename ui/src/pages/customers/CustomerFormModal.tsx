import { saveCustomer, type Customer } from '../../api/customers';
import { ContactFormModal } from '../../components/ContactFormModal';

interface Props {
  opened: boolean;
  customer?: Customer | null;
  onClose: () => void;
  onSaved: (customer: Customer) => void;
}

/** Title, contact fields and description of a customer. */
export function CustomerFormModal({ opened, customer, onClose, onSaved }: Props) {
  return <ContactFormModal opened={opened} entity={customer} noun="customer" save={saveCustomer} onClose={onClose} onSaved={onSaved} />;
}
